/** The cause tables live in core: the rebuild from Asterisk's CEL reads causes the same way. */
export { clientResultFromCause, legResultFromCause } from "../../core/calls/hangupCauses.ts";
