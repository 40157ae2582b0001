import type { BatchResponse } from "../bitrix/client.ts";
import { prom } from "../../core/metrics/promMetrics.ts";
import { NetworkError, commandErrorInfo, holdsAsCommandError } from "../bitrix/errors.ts";
import { buildBatchCommands, commandKey, groupResults, type QueuedGroup } from "./batchBuilder.ts";
import { DeliveryError } from "./deliveryError.ts";
import { pauseUntil, sendPaced, type SenderDeps } from "./pacedRequest.ts";
import type { CommandResult, Lane } from "./types.ts";

export type { SenderDeps, SenderSettings } from "./pacedRequest.ts";

/** What became of one group of a batch; `dropped`: its owner took it back before it was sent. */
export type GroupOutcome =
  | { kind: "answered"; results: CommandResult[] }
  | { kind: "failed"; error: DeliveryError }
  | { kind: "dropped" };

/**
 * Decides, right before each attempt, which groups of a batch may still be sent (the shared queue's
 * fence: a group its owner took back, or one this process no longer may send, is left out).
 */
export type ClaimGroups = (groups: QueuedGroup[]) => Promise<QueuedGroup[]>;

/**
 * Sends one batch until it is answered (limiter, retries and backoff: see `sendPaced`). Returns one
 * outcome per group, in order: its results, the DeliveryError of the whole request, `held` for a group
 * refused by a portal-wide code inside the batch, or `dropped`.
 */
export async function sendBatch(
  groups: QueuedGroup[],
  deps: SenderDeps,
  claim?: ClaimGroups,
  /** Adds groups queued meanwhile to `groups` (it appends to that array) and returns them. */
  topUp?: () => QueuedGroup[],
): Promise<GroupOutcome[]> {
  const methods = [...new Set(groups.flatMap((q) => q.group.commands.map((c) => c.method)))];
  const lane: Lane = groups.some((q) => q.group.lane === "interactive") ? "interactive" : "bulk";
  let live = [...groups];
  try {
    const response = await sendPaced(
      {
        kind: "batch",
        lane,
        methods,
        logFields: { calls: groups.slice(0, 20).map((q) => q.group.callId), groups: groups.length },
        attempt: async () => {
          if (topUp) live.push(...topUp());
          if (claim) live = await claimOrRetry(claim, live);
          if (live.length === 0) return undefined;
          const cmd = buildBatchCommands(live);
          void deps.metrics?.count("crm.commands", Object.keys(cmd).length);
          prom.batchSize.observe(Object.keys(cmd).length);
          const answer = await deps.client.callBatch(cmd, false);
          await observeCommands(live, answer, deps);
          return answer;
        },
        holdCause: (answer) => (answer ? commandHoldCause(answer) : undefined),
      },
      deps,
    );
    return groups.map((q) => {
      if (!response || !live.includes(q)) return { kind: "dropped" };
      return groupOutcome(q, response, deps);
    });
  } catch (err) {
    if (!(err instanceof DeliveryError)) throw err;
    if (err.reason === "held") deps.hold.countHeld(err.lastError.code, live.length);
    return groups.map((q) => (live.includes(q) ? { kind: "failed", error: err } : { kind: "dropped" }));
  }
}

/** The fence failed (Redis): nothing was sent, so the attempt may be made again. */
async function claimOrRetry(claim: ClaimGroups, groups: QueuedGroup[]): Promise<QueuedGroup[]> {
  try {
    return await claim(groups);
  } catch (err) {
    throw new NetworkError(`shared queue unavailable before sending: ${(err as Error).message}`, false);
  }
}

/** The first portal-wide refusal among the batch's command errors (a scope, the auth type, …). */
function commandHoldCause(response: BatchResponse): { code: string; description: string } | undefined {
  for (const entry of Object.values(response.result_error)) {
    const info = commandErrorInfo(entry);
    if (holdsAsCommandError(info.code)) return { code: info.code, description: info.description };
  }
  return undefined;
}

/**
 * A group's results. Commands refused by a portal-wide code did not run: when nothing of the group
 * ran, the group is held like any send during a hold; when something did, its results stand (the
 * reconciler records them) and the refused commands come back as retryable errors.
 */
function groupOutcome(q: QueuedGroup, response: BatchResponse, deps: SenderDeps): GroupOutcome {
  const results = groupResults(q, response);
  const refused = results.find((r) => !r.ok && holdsAsCommandError(r.error.code));
  if (!refused || refused.ok) return { kind: "answered", results };
  if (results.every((r) => !r.ok)) {
    deps.hold.countHeld(refused.error.code, 1);
    const view = deps.hold.lastKnown();
    const error = new DeliveryError(
      "held",
      { ...refused.error, description: `delivery held: ${refused.error.description}`, retryable: true },
      1,
      view ? Math.max(0, view.nextProbeAt - Date.now()) : undefined,
    );
    return { kind: "failed", error };
  }
  return {
    kind: "answered",
    results: results.map((r) =>
      !r.ok && (holdsAsCommandError(r.error.code) || r.error.code === "DEPENDENCY_FAILED")
        ? { ok: false, error: { ...r.error, retryable: true } }
        : r,
    ),
  };
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
