import { rewriteChainFor, type RewriteRule } from "../numbers/index.ts";

/**
 * The CRM user directory snapshot the workers keep in Redis (`keys.userDirectory(portal)`:
 * `{at, users: {UF_PHONE_INNER: userId}}`), read the other way round: which Asterisk extension rings
 * a Bitrix24 user. Pure.
 */
export interface DirectorySnapshot {
  /** Unix ms of the fetch. */
  at: number;
  /** UF_PHONE_INNER → user id. */
  users: Record<string, number>;
}

export function parseDirectorySnapshot(json: string | null): DirectorySnapshot | undefined {
  if (!json) return undefined;
  try {
    const value = JSON.parse(json) as Partial<DirectorySnapshot>;
    if (typeof value.users !== "object" || value.users === null) return undefined;
    return { at: Number(value.at ?? 0), users: value.users };
  } catch {
    return undefined;
  }
}

/**
 * The extension of a user: their UF_PHONE_INNER, turned back into an Asterisk extension. The admin's
 * `numbers.userRewrite` (#FROM#) maps extensions to inner numbers and cannot be inverted in general,
 * so the known operators are rewritten and the one that gives the inner number wins; without a match
 * the inner number is the extension (no rewrite configured, or an extension not listed).
 */
export function extensionOfUser(
  snapshot: DirectorySnapshot | undefined,
  userId: number,
  operators: readonly string[],
  userRewrite: readonly RewriteRule[],
): string | undefined {
  if (!snapshot) return undefined;
  const inner = Object.entries(snapshot.users).find(([, id]) => Number(id) === userId)?.[0];
  if (inner === undefined) return undefined;
  const rewrite = rewriteChainFor(userRewrite);
  return operators.find((ext) => rewrite.apply(ext.trim()) === inner) ?? inner;
}
