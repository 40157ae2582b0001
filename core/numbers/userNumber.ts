import { rewriteChainFor, type RewriteChain, type RewriteRule } from "./rewriteRules.ts";

/**
 * An operator extension as the CRM knows it (UF_PHONE_INNER, #FROM#): the admin's user rewrite rules
 * (config `numbers.userRewrite`) applied in order, e.g. `^123(\d{4})$` → `$1` turns `1230101` into
 * `0101`. Bitrix24 accepts inner numbers 1..9999; no phone-number parsing happens here.
 */
export function rewriteUserNumber(extension: string, rules: readonly RewriteRule[] | RewriteChain): string {
  return rewriteChainFor(rules).apply(extension.trim());
}
