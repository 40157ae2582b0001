import { isResultRef } from "../bitrix/queryString.ts";
import type { CommandGroup, CommandResult, ParamValue } from "./types.ts";

/**
 * Commands refused inside a batch by a limit (429 OPERATION_TIME_LIMIT of one method, or a rate
 * limit) did not run: the portal checks the limits before the call. They, and the commands of the
 * group that failed only because they referred to them, are re-sent as a follow-up group; references
 * to commands that did succeed are replaced by the values the portal returned.
 */
const LIMIT_CODES = new Set(["OPERATION_TIME_LIMIT", "QUERY_LIMIT_EXCEEDED"]);

export interface RetryPlan {
  group: CommandGroup;
  /** Index in the original group of each command of the follow-up group. */
  indexes: number[];
}

function valueAt(result: unknown, path: string[]): unknown {
  let node = result;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function referencesIn(value: ParamValue): number[] {
  if (isResultRef(value)) return [value.$ref];
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(referencesIn);
  return [];
}

export function planLimitedRetry(group: CommandGroup, results: CommandResult[]): RetryPlan | undefined {
  const retry = new Set<number>();
  group.commands.forEach((command, i) => {
    const r = results[i];
    if (!r || r.ok) return;
    if (LIMIT_CODES.has(r.error.code)) retry.add(i);
    else if (r.error.code === "DEPENDENCY_FAILED" && referencesIn(command.params).some((j) => retry.has(j)))
      retry.add(i);
  });
  if (retry.size === 0) return undefined;
  const indexes = [...retry].sort((a, b) => a - b);
  const newIndex = new Map(indexes.map((old, k) => [old, k]));
  let unresolvable = false;
  const rewrite = (value: ParamValue): ParamValue => {
    if (isResultRef(value)) {
      const moved = newIndex.get(value.$ref);
      if (moved !== undefined) return { $ref: moved, path: value.path };
      const done = results[value.$ref];
      const resolved = done?.ok ? valueAt(done.result, value.path) : undefined;
      if (resolved === undefined) unresolvable = true;
      return (resolved ?? null) as ParamValue;
    }
    if (Array.isArray(value)) return value.map(rewrite);
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]));
    }
    return value;
  };
  const commands = indexes.map((i) => {
    const command = group.commands[i]!;
    const params = Object.fromEntries(Object.entries(command.params).map(([k, v]) => [k, rewrite(v)]));
    return { method: command.method, params };
  });
  if (unresolvable) return undefined;
  return { group: { callId: group.callId, lane: group.lane, commands }, indexes };
}

/** The original results with the follow-up's answers put in place. */
export function mergeRetryResults(
  results: CommandResult[],
  plan: RetryPlan,
  retried: CommandResult[],
): CommandResult[] {
  const merged = [...results];
  plan.indexes.forEach((original, k) => {
    merged[original] = retried[k]!;
  });
  return merged;
}
