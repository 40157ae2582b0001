import {
  decodeOriginateFailure,
  describeOriginateFailure,
  type OriginateFailure,
  type OriginateFailureInput,
} from "../../core/calls/originateFailure.ts";
import type { CallContext } from "./context.ts";
import type { CallSession } from "./session.ts";

/**
 * Every failed originate — an operator leg, the clicking user's phone, the client on the trunk — is
 * decoded once, logged with its reason (the call id is in the session's logger) and counted by reason
 * (`originate.failed.<reason>`, shown in `/status`). The decoded failure goes into the call model so
 * the workers finish the CRM call with the matching STATUS_CODE and FAILED_REASON.
 */
export function originateFailed(
  ctx: CallContext,
  call: CallSession,
  input: OriginateFailureInput,
  party: string,
): OriginateFailure {
  const failure = decodeOriginateFailure(input);
  reportOriginateFailure(ctx, call, failure, party);
  return failure;
}

export function reportOriginateFailure(
  ctx: CallContext,
  call: CallSession,
  failure: OriginateFailure,
  party: string,
): void {
  call.log.warn(
    { side: failure.side, reason: failure.reason, detail: failure.detail, party },
    `originate failed: ${describeOriginateFailure(failure, party)}`,
  );
  void ctx.metrics?.count(`originate.failed.${failure.reason}`);
}

/** Results of a leg that ended unanswered which are not a failure of the originate (we ended it). */
const NOT_A_FAILURE = new Set(["answered", "answeredElsewhere", "cancelled"]);

export function isOriginateFailure(result: string): boolean {
  return !NOT_A_FAILURE.has(result);
}
