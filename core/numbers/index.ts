export { RewriteChain, rewriteChainFor } from "./rewriteRules.ts";
export type { RewriteRule } from "./rewriteRules.ts";
export { normaliseClientNumber, clientNumberNormaliser } from "./clientNumber.ts";
export type { ClientNumberOptions } from "./clientNumber.ts";
export { crmClientNumber, DEFAULT_WITHHELD_NUMBER, withheldNumberProblem } from "./crmNumber.ts";
export type { CrmClientNumber, CrmNumberKind, CrmNumberOptions } from "./crmNumber.ts";
export { asciiDigits } from "./digits.ts";
export {
  isPhoneNumberRefusal,
  PORTAL_PHONE_MAX_LENGTH,
  portalAcceptsPhoneNumber,
  portalStrip,
  UNSUPPORTED_PHONE_NUMBER,
} from "./portalNumber.ts";
export { rewriteUserNumber } from "./userNumber.ts";
