import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js";
import { asciiDigits } from "./digits.ts";
import { rewriteChainFor, type RewriteChain, type RewriteRule } from "./rewriteRules.ts";

export interface ClientNumberOptions {
  /** ISO 3166 region for national numbers (config `numbers.defaultRegion`), e.g. "RU". */
  defaultRegion: string;
  /** Config `numbers.clientRewrite` (#TO#), applied in order after parsing. */
  rewrite: readonly RewriteRule[] | RewriteChain;
}

/**
 * The client's number as outbound calls dial it (and the base of what the CRM gets, see crmNumber.ts):
 * 0. every Unicode decimal digit becomes its ASCII digit (`٧٤٩٥…` → `7495…`, see digits.ts);
 * 1. parsed with libphonenumber-js in the default region; a valid number becomes E.164
 *    (`8 495 123-45-67` in RU → `+74951234567`; E.164 input stays as it is);
 * 2. a short or invalid number is kept as its digits (a leading `+` kept), e.g. `101`, `112`;
 *    input without any digit (`anonymous`, empty) is kept trimmed;
 * 3. then the admin's rewrite rules apply in order (see RewriteChain: the chain continues).
 */
export function normaliseClientNumber(raw: string, options: ClientNumberOptions): string {
  return rewriteChainFor(options.rewrite).apply(parseClientNumber(raw, options.defaultRegion));
}

/** A normaliser bound to one configuration (rules compiled once). */
export function clientNumberNormaliser(options: ClientNumberOptions): (raw: string) => string {
  const bound = { defaultRegion: options.defaultRegion, rewrite: rewriteChainFor(options.rewrite) };
  return (raw) => normaliseClientNumber(raw, bound);
}

/** Longer input is no phone number; libphonenumber and the rules never see more of it. */
const MAX_INPUT_LENGTH = 256;

function parseClientNumber(raw: string, defaultRegion: string): string {
  const trimmed = asciiDigits(raw.slice(0, MAX_INPUT_LENGTH)).trim();
  const digits = trimmed.replace(/\D/g, "");
  if (digits === "") return trimmed;
  const parsed = parsePhoneNumberFromString(trimmed, defaultRegion.toUpperCase() as CountryCode);
  if (parsed?.isValid()) return parsed.number;
  return trimmed.startsWith("+") ? `+${digits}` : digits;
}
