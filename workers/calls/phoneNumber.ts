import type { CallState } from "../../core/calls/types.ts";
import type { Config } from "../../core/config/schema.ts";
import { normaliseClientNumber } from "../../core/numbers/index.ts";

/** PHONE_NUMBER of register: the client's number parsed and rewritten per `numbers.*`. */
export function clientPhoneNumber(call: CallState, config: Pick<Config, "numbers">): string {
  return normaliseClientNumber(call.clientNumber, {
    defaultRegion: config.numbers.defaultRegion,
    rewrite: config.numbers.clientRewrite,
  });
}
