import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import { BitrixError, NetworkError, OperationTimeLimited, RateLimited } from "../bitrix/errors.ts";
import type { BatchResponse, BitrixClient } from "../bitrix/client.ts";
import { backoffDelay, sleep } from "./backoff.ts";
import { buildBatchCommands, commandKey, groupResults, type QueuedGroup } from "./batchBuilder.ts";
import { DeliveryError } from "./deliveryError.ts";
import type { ClusterLimiter } from "./leakyBucket.ts";
import type { CommandResult, Lane } from "./types.ts";

export interface SenderSettings {
  baseDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  operatingLimitSec: number;
  /** Share of the operating limit above which a method is slowed down. */
  operatingSlowdownAt: number;
  /** Pause after a 429 whose answer carries no operating_reset_at. */
  defaultOperatingPauseMs: number;
}

export interface SenderDeps {
  client: BitrixClient;
  limiter: ClusterLimiter;
  settings: SenderSettings;
  logger?: Logger;
  metrics?: Metrics;
  random?: () => number;
  isClosed: () => boolean;
  onError: (code: string) => void;
  onSuccess: () => void;
}

/** Rate-limit answers are expected now and then; they get this many times more tries than failures. */
const LIMIT_HIT_FACTOR = 5;

function toBitrixError(err: unknown): BitrixError {
  if (err instanceof BitrixError) return err;
  return new NetworkError(err instanceof Error ? err.message : String(err));
}

/**
 * Sends one batch until it is answered: limiter first, then the request; whole-request failures are
 * retried with backoff (503 → the shared bucket is filled, 429 → the method pauses until
 * operating_reset_at). Returns one result list per group, or throws a DeliveryError.
 */
export async function sendBatch(groups: QueuedGroup[], deps: SenderDeps): Promise<CommandResult[][]> {
  const cmd = buildBatchCommands(groups);
  const methods = [...new Set(groups.flatMap((q) => q.group.commands.map((c) => c.method)))];
  const lane: Lane = groups.some((q) => q.group.lane === "interactive") ? "interactive" : "bulk";
  const size = Object.keys(cmd).length;
  const calls = groups.map((q) => q.group.callId);
  const { settings } = deps;
  let failures = 0;
  let limitHits = 0;
  for (;;) {
    await deps.limiter.acquire(lane, methods);
    try {
      void deps.metrics?.count("crm.requests");
      void deps.metrics?.count("crm.commands", size);
      const response = await deps.client.callBatch(cmd, false);
      deps.onSuccess();
      await observeCommands(groups, response, deps);
      return groups.map((q) => groupResults(q, response));
    } catch (err) {
      const error = toBitrixError(err);
      deps.onError(error.code);
      void deps.metrics?.count(`errors.${error.code}`);
      const logFields = { calls: calls.slice(0, 20), size, code: error.code, status: error.status };
      if (!error.retryable) {
        deps.logger?.error(logFields, "batch refused for good");
        throw new DeliveryError("permanent_error", error.toInfo(), failures + limitHits + 1);
      }
      let waitMs: number;
      if (error instanceof RateLimited) {
        limitHits++;
        await deps.limiter.onRateLimited().catch(() => undefined);
        waitMs = backoffDelay(1, settings.baseDelayMs, settings.maxDelayMs, deps.random);
      } else if (error instanceof OperationTimeLimited) {
        limitHits++;
        const until = pauseUntil(error.resetAtMs, deps);
        for (const method of error.method && error.method !== "batch" ? [error.method] : methods) {
          await deps.limiter.pauseMethod(method, until).catch(() => undefined);
        }
        waitMs = 0; // the limiter holds the request back until the pause ends
      } else {
        failures++;
        waitMs = backoffDelay(failures, settings.baseDelayMs, settings.maxDelayMs, deps.random);
      }
      const exhausted =
        failures >= settings.maxAttempts || limitHits >= settings.maxAttempts * LIMIT_HIT_FACTOR;
      if (exhausted || deps.isClosed()) {
        deps.logger?.error(logFields, exhausted ? "batch retries exhausted" : "batch abandoned at shutdown");
        throw new DeliveryError(
          exhausted ? "retries_exhausted" : "closed",
          error.toInfo(),
          failures + limitHits,
        );
      }
      deps.logger?.warn({ ...logFields, failures, limitHits, waitMs }, "batch failed, retrying");
      await sleep(waitMs);
    }
  }
}

/** Longest pause a 429 may impose: the operating window is 10 minutes. */
const MAX_OPERATING_PAUSE_MS = 11 * 60_000;

/** Local time until which a 429'd method waits: `operating_reset_at` (portal clock) or a default. */
function pauseUntil(portalResetAtMs: number | undefined, deps: SenderDeps): number {
  const now = Date.now();
  if (portalResetAtMs === undefined) return now + deps.settings.defaultOperatingPauseMs;
  const local = deps.client.toLocalTime(portalResetAtMs);
  return Math.min(Math.max(local, now + 100), now + MAX_OPERATING_PAUSE_MS);
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
