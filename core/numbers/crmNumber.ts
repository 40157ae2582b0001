import { normaliseClientNumber, type ClientNumberOptions } from "./clientNumber.ts";
import { asciiDigits } from "./digits.ts";
import { PORTAL_PHONE_MAX_LENGTH, portalAcceptsPhoneNumber, portalStrip } from "./portalNumber.ts";

/**
 * The number `telephony.externalcall.register` gets for the client. Every caller must reach the CRM,
 * so this never yields a number the portal refuses:
 * - `number`: the caller's number, normalised (clientNumber.ts) and stripped as the portal strips it;
 * - `withheld`: the caller id holds no digit at all (`anonymous`, `Restricted`, `unknown`, `private`,
 *   `unavailable`, `withheld`, `s`, `+`, empty, …): the placeholder `numbers.withheldNumber`;
 * - `unusable`: the rewrite rules left nothing the portal accepts (empty, `0`): the placeholder;
 * - `capped`: longer than the portal's column (20): its first 20 characters, what the portal itself
 *   would keep;
 * - `refused`: the portal refused exactly this number before: the placeholder (the portal's rules
 *   may be stricter than the ones known here; a bad number must never fail a call).
 */
export type CrmNumberKind = "number" | "withheld" | "unusable" | "capped" | "refused";

export interface CrmClientNumber {
  number: string;
  kind: CrmNumberKind;
}

export interface CrmNumberOptions extends ClientNumberOptions {
  /** Config `numbers.withheldNumber`: PHONE_NUMBER of callers without a usable number. */
  withheldNumber: string;
  /** A PHONE_NUMBER the portal refused for this call ("Unsupported phone number format"). */
  refused?: string;
}

/**
 * `0000000000`: survives the portal's strip, is not `0`, is longer than any inner number (1..9999, so
 * the portal never takes the call for an internal one), and is no real number in any numbering plan
 * (no country or area code is all zeros), so no real client's card collects withheld calls. All
 * withheld callers share it: their calls gather on one CRM lead instead of one lead per call.
 */
export const DEFAULT_WITHHELD_NUMBER = "0000000000";

export function crmClientNumber(raw: string, options: CrmNumberOptions): CrmClientNumber {
  const placeholder = (kind: CrmNumberKind): CrmClientNumber => ({ number: options.withheldNumber, kind });
  if (!/[0-9]/.test(asciiDigits(raw.slice(0, 256)))) return placeholder("withheld");
  const stripped = portalStrip(normaliseClientNumber(raw, options));
  if (!portalAcceptsPhoneNumber(stripped)) return placeholder("unusable");
  const capped = stripped.length > PORTAL_PHONE_MAX_LENGTH;
  const number = capped ? stripped.slice(0, PORTAL_PHONE_MAX_LENGTH) : stripped;
  if (options.refused !== undefined && options.refused === number) return placeholder("refused");
  return { number, kind: capped ? "capped" : "number" };
}

/** Why a `numbers.withheldNumber` cannot serve as the placeholder, or undefined when it can. */
export function withheldNumberProblem(number: string): string | undefined {
  if (!portalAcceptsPhoneNumber(number)) return "the portal refuses it (no digit, or just 0)";
  if (portalStrip(number) !== number) return "the portal would strip it: use only 0-9 # * + , ;";
  if (number.length > PORTAL_PHONE_MAX_LENGTH) return `longer than ${PORTAL_PHONE_MAX_LENGTH} characters`;
  if (/^\d{1,4}$/.test(number))
    return "1 to 4 digits look like an inner number: the portal would skip the CRM";
  return undefined;
}
