/** One admin rewrite rule (config `numbers.clientRewrite` / `numbers.userRewrite`). */
export interface RewriteRule {
  /** JavaScript regular expression, e.g. `^123(\d{4})$`. */
  pattern: string;
  /** Replacement with `$1`… groups, e.g. `$1`. */
  replacement: string;
}

/**
 * A compiled chain of rewrite rules. Rules apply in order; every rule whose pattern matches the
 * current value rewrites it and the chain CONTINUES with the rewritten value (so a rule can build on
 * the previous one). A pattern without the `g` flag replaces its first match only, like
 * String.prototype.replace.
 */
export class RewriteChain {
  private readonly rules: readonly { regex: RegExp; replacement: string }[];

  constructor(rules: readonly RewriteRule[]) {
    this.rules = rules.map((r) => ({ regex: new RegExp(r.pattern), replacement: r.replacement }));
  }

  apply(value: string): string {
    let current = value;
    for (const { regex, replacement } of this.rules) {
      if (regex.test(current)) current = current.replace(regex, replacement);
    }
    return current;
  }
}

const compiled = new WeakMap<readonly RewriteRule[], RewriteChain>();

/**
 * The compiled chain for a rule list; compiled once per list object (the config's arrays live as long
 * as the process), so callers may pass the config's rules on every call.
 */
export function rewriteChainFor(rules: readonly RewriteRule[] | RewriteChain): RewriteChain {
  if (rules instanceof RewriteChain) return rules;
  let chain = compiled.get(rules);
  if (!chain) {
    chain = new RewriteChain(rules);
    compiled.set(rules, chain);
  }
  return chain;
}
