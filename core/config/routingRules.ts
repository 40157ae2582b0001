import type { Config } from "./schema.ts";

/**
 * How the routing configuration reads, for the live app and for the rebuild of past calls from
 * Asterisk's records alike (so both classify a call the same way).
 */

/** Every extension the configuration knows as an operator (`routing.operators` and group members). */
export function knownOperators(config: Pick<Config, "routing">): Set<string> {
  const all = new Set(config.routing.operators);
  for (const g of Object.values(config.routing.groups)) for (const m of g.members) all.add(m);
  return all;
}

/** The line an outbound call goes out through: the part after `@` of the trunk dial string. */
export function outboundLine(trunkDialString: string): string {
  return trunkDialString.split("@")[1] ?? trunkDialString;
}

/** A number an operator dialled is internal when it matches `routing.internalPattern` and is an operator. */
export function isInternalNumber(
  exten: string,
  pattern: string | RegExp,
  operators: ReadonlySet<string>,
): boolean {
  return new RegExp(pattern).test(exten) && operators.has(exten);
}
