import type { CallState } from "../../core/calls/types.ts";
import type { Config } from "../../core/config/schema.ts";
import { crmClientNumber, isPhoneNumberRefusal, type CrmClientNumber } from "../../core/numbers/index.ts";

export { isPhoneNumberRefusal };

/**
 * PHONE_NUMBER of register: the client's number parsed and rewritten per `numbers.*`, and always one
 * the portal accepts — withheld and unusable caller ids get `numbers.withheldNumber`
 * (core/numbers/crmNumber.ts). `refused`: a number the portal already refused for this call
 * ("Unsupported phone number format"), so the next register goes out with the placeholder instead.
 */
export function clientPhoneNumber(
  call: CallState,
  config: Pick<Config, "numbers">,
  refused?: string,
): string {
  return clientPhoneNumberOf(call, config, refused).number;
}

/** The same, with why this number was chosen (`withheld`, `capped`, …) for the log. */
export function clientPhoneNumberOf(
  call: CallState,
  config: Pick<Config, "numbers">,
  refused?: string,
): CrmClientNumber {
  return crmClientNumber(call.clientNumber, {
    defaultRegion: config.numbers.defaultRegion,
    rewrite: config.numbers.clientRewrite,
    withheldNumber: config.numbers.withheldNumber,
    ...(refused !== undefined ? { refused } : {}),
  });
}
