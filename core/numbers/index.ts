export { RewriteChain, rewriteChainFor } from "./rewriteRules.ts";
export type { RewriteRule } from "./rewriteRules.ts";
export { normaliseClientNumber, clientNumberNormaliser } from "./clientNumber.ts";
export type { ClientNumberOptions } from "./clientNumber.ts";
export { rewriteUserNumber } from "./userNumber.ts";
