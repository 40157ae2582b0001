import type { BatchResponse } from "../bitrix/client.ts";
import { buildBatchCommands, commandKey, groupResults, type QueuedGroup } from "./batchBuilder.ts";
import { pauseUntil, sendPaced, type SenderDeps } from "./pacedRequest.ts";
import type { CommandResult, Lane } from "./types.ts";

export type { SenderDeps, SenderSettings } from "./pacedRequest.ts";

/**
 * Sends one batch until it is answered (limiter, retries and backoff: see `sendPaced`). Returns one
 * result list per group, or throws a DeliveryError.
 */
export async function sendBatch(groups: QueuedGroup[], deps: SenderDeps): Promise<CommandResult[][]> {
  const cmd = buildBatchCommands(groups);
  const methods = [...new Set(groups.flatMap((q) => q.group.commands.map((c) => c.method)))];
  const lane: Lane = groups.some((q) => q.group.lane === "interactive") ? "interactive" : "bulk";
  const size = Object.keys(cmd).length;
  const calls = groups.map((q) => q.group.callId);
  return sendPaced(
    {
      kind: "batch",
      lane,
      methods,
      logFields: { calls: calls.slice(0, 20), size },
      attempt: async () => {
        void deps.metrics?.count("crm.commands", size);
        const response = await deps.client.callBatch(cmd, false);
        await observeCommands(groups, response, deps);
        return groups.map((q) => groupResults(q, response));
      },
    },
    deps,
  );
}

/**
 * Per-command bookkeeping of an answer: error counters, 429s of single commands, and a slow-down of
 * methods whose `time.operating` is close to the limit (delay grows from 0 at the threshold to the
 * whole remaining window at the limit).
 */
async function observeCommands(
  groups: QueuedGroup[],
  response: BatchResponse,
  deps: SenderDeps,
): Promise<void> {
  const { settings } = deps;
  const pauses = new Map<string, number>();
  const now = Date.now();
  for (const q of groups) {
    q.group.commands.forEach((command, i) => {
      const key = commandKey(q.seq, i);
      const error = response.result_error[key] as { error?: unknown } | undefined;
      if (error) {
        const code = typeof error.error === "string" ? error.error : "UNKNOWN";
        void deps.metrics?.count(`errors.${code}`); // counted, but not the portal's health (lastErrorCode)
      }
      const time = response.result_time[key];
      const rawReset = Number(time?.operating_reset_at) * 1000;
      const resetAtMs = rawReset > 0 ? deps.client.toLocalTime(rawReset) : Number.NaN;
      if (error && (error as { error?: unknown }).error === "OPERATION_TIME_LIMIT") {
        const until = pauseUntil(rawReset > 0 ? rawReset : undefined, deps);
        pauses.set(command.method, Math.max(pauses.get(command.method) ?? 0, until));
        return;
      }
      const share = Number(time?.operating) / settings.operatingLimitSec;
      if (!(share > settings.operatingSlowdownAt) || !(resetAtMs > now)) return;
      const ramp = Math.min(1, (share - settings.operatingSlowdownAt) / (1 - settings.operatingSlowdownAt));
      const until = now + ramp * (resetAtMs - now);
      pauses.set(command.method, Math.max(pauses.get(command.method) ?? 0, until));
    });
  }
  for (const [method, until] of pauses) {
    deps.logger?.warn(
      { method, pauseMs: Math.round(until - now) },
      "method near its operating limit, slowing down",
    );
    await deps.limiter.pauseMethod(method, until).catch(() => undefined);
  }
}
