import { commandErrorInfo } from "../bitrix/errors.ts";
import { buildCommand, isResultRef } from "../bitrix/queryString.ts";
import type { BatchResponse } from "../bitrix/client.ts";
import type { CommandGroup, CommandResult, ParamValue, ResultRef } from "./types.ts";

/**
 * Pure batch logic: which queued groups go into the next batch, the `cmd` map of a batch, and the
 * split of a batch answer back into one result list per group.
 */

export interface QueuedGroup {
  /** Enqueue order, unique per delivery instance; also names the group's command keys. */
  seq: number;
  group: CommandGroup;
  /** The shared queue's id of the group (follow-ups of a group keep it). */
  tag?: string;
}

/** Checks a group before it is queued; returns why it cannot be sent, or undefined. */
export function validateGroup(group: CommandGroup, maxCommands: number): string | undefined {
  if (group.commands.length > maxCommands) {
    return `group of call ${group.callId} has ${group.commands.length} commands, a batch holds ${maxCommands}`;
  }
  for (const [i, command] of group.commands.entries()) {
    for (const ref of refsOf(command.params)) {
      if (!Number.isInteger(ref.$ref) || ref.$ref < 0 || ref.$ref >= i) {
        return `command ${i} of call ${group.callId} refers to command ${ref.$ref}, not an earlier one`;
      }
    }
  }
  return undefined;
}

function refsOf(value: ParamValue | Record<string, ParamValue>): ResultRef[] {
  if (isResultRef(value)) return [value];
  if (Array.isArray(value)) return value.flatMap(refsOf);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(refsOf);
  return [];
}

/**
 * Picks the groups of the next batch: interactive before bulk, otherwise in enqueue order; a group
 * goes only when no earlier group of its call is still queued or in flight (per-call order), and
 * only whole (a group never splits). `queue` is in enqueue order.
 */
export function pickBatch(
  queue: QueuedGroup[],
  inFlightCalls: ReadonlySet<string>,
  maxCommands: number,
  /** A group that must wait (e.g. one of its methods is paused after a 429). */
  held: (group: CommandGroup) => boolean = () => false,
): QueuedGroup[] {
  const firstSeqOfCall = new Map<string, number>();
  for (const q of queue) if (!firstSeqOfCall.has(q.group.callId)) firstSeqOfCall.set(q.group.callId, q.seq);
  const ordered = [
    ...queue.filter((q) => q.group.lane === "interactive"),
    ...queue.filter((q) => q.group.lane !== "interactive"),
  ];
  const picked: QueuedGroup[] = [];
  const taken = new Set<string>(); // one group per call per batch keeps the order trivial
  let size = 0;
  for (const q of ordered) {
    const call = q.group.callId;
    if (inFlightCalls.has(call) || taken.has(call) || firstSeqOfCall.get(call) !== q.seq) continue;
    if (held(q.group)) continue;
    if (size + q.group.commands.length > maxCommands) continue;
    picked.push(q);
    taken.add(call);
    size += q.group.commands.length;
    if (size === maxCommands) break;
  }
  return picked;
}

export function commandKey(seq: number, index: number): string {
  return `c${seq}_${index}`;
}

/** `{cmd}` of a batch; `$ref`s become `$result[<key>][path…]` of the same group. */
export function buildBatchCommands(groups: QueuedGroup[]): Record<string, string> {
  const cmd: Record<string, string> = {};
  for (const { seq, group } of groups) {
    group.commands.forEach((command, i) => {
      const writeRef = (ref: ResultRef): string =>
        `$result[${commandKey(seq, ref.$ref)}]${ref.path.map((p) => `[${p}]`).join("")}`;
      cmd[commandKey(seq, i)] = buildCommand(command.method, command.params, writeRef);
    });
  }
  return cmd;
}

function referencedIndexes(params: Record<string, ParamValue>): number[] {
  return refsOf(params).map((r) => r.$ref);
}

/** One result per command of `group`; a command whose referenced command failed fails too. */
export function groupResults(q: QueuedGroup, response: BatchResponse): CommandResult[] {
  const results: CommandResult[] = [];
  q.group.commands.forEach((command, i) => {
    const key = commandKey(q.seq, i);
    const failedDependency = referencedIndexes(command.params).find((r) => !results[r]?.ok);
    if (key in response.result_error) {
      const error = commandErrorInfo(response.result_error[key]);
      if (failedDependency !== undefined) {
        error.description = `command ${failedDependency} it refers to failed (${error.code}: ${error.description})`;
        error.code = "DEPENDENCY_FAILED";
        error.retryable = false;
      }
      results.push({ ok: false, error });
    } else if (key in response.result) {
      results.push({ ok: true, result: response.result[key] });
    } else if (failedDependency !== undefined) {
      results.push({
        ok: false,
        error: {
          code: "DEPENDENCY_FAILED",
          description: `command ${failedDependency} it refers to failed`,
          retryable: false,
        },
      });
    } else {
      results.push({
        ok: false,
        error: {
          code: "NO_RESULT",
          description: "the batch answer has no result for this command",
          retryable: false,
        },
      });
    }
  });
  return results;
}
