import type { Redis } from "ioredis";
import type { Queue } from "bullmq";
import type { Metrics } from "../metrics/metrics.ts";
import { lastHours } from "../metrics/errorStats.ts";
import { AuditReports } from "../audit/reportStore.ts";
import type { RedisKeys } from "../redis/keys.ts";
import type { AppView, Probe, QueueSnapshot, StatusInputs } from "./statusReport.ts";

/**
 * The I/O side of `/status`: each probe is time-boxed and runs in parallel with the others, so a
 * slow or dead Redis makes `/status` answer "unreachable" within about one timeout, never hang.
 */

export interface StatusProbeDeps {
  redis: Redis;
  keys: RedisKeys;
  metrics: Metrics;
  /** The lifecycle queue (BullMQ), if the process has one. */
  lifecycleQueue?: Queue;
  /** Budget of each probe. */
  timeoutMs: number;
  /** Heartbeats older than this are not "seen". */
  seenWithinMs?: number;
}

export interface ProcessInfo {
  pid: number;
  uptimeSec: number;
  version: string;
}

/** Runs `work` for at most `ms`; a timeout or an error becomes `{ok:false}` with a short reason. */
export async function timeBoxed<T>(work: () => Promise<T>, ms: number): Promise<Probe<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Probe<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: `timed out after ${ms} ms` }), ms);
  });
  const attempt = (async (): Promise<Probe<T>> => {
    try {
      return { ok: true, value: await work() };
    } catch (err) {
      return { ok: false, error: (err as Error).message || String(err) };
    }
  })();
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const NOT_REACHED: Probe<never> = { ok: false, error: "Redis unreachable" };

export async function collectStatusInputs(
  deps: StatusProbeDeps,
  app: AppView,
  proc: ProcessInfo,
  now = Date.now(),
): Promise<StatusInputs> {
  const redis = await probeRedis(deps.redis, deps.timeoutMs);
  if (!redis.reachable) {
    return {
      now,
      process: proc,
      app,
      redis,
      queue: NOT_REACHED,
      heartbeats: NOT_REACHED,
      lastHour: NOT_REACHED,
      failedTotal: NOT_REACHED,
    };
  }
  const queue = deps.lifecycleQueue;
  const [queueProbe, heartbeats, lastHour, failedTotal, errorWindows, audit] = await Promise.all([
    queue ? timeBoxed(() => queueSnapshot(queue), deps.timeoutMs) : Promise.resolve(noQueue()),
    timeBoxed(() => deps.metrics.seen(deps.seenWithinMs ?? 30_000, now), deps.timeoutMs),
    timeBoxed(() => deps.metrics.lastMinutes(60, now), deps.timeoutMs),
    timeBoxed(() => deps.redis.zcard(deps.keys.failedCalls), deps.timeoutMs),
    timeBoxed(async () => {
      const [lastDay, lastWeek] = await Promise.all([
        lastHours(deps.redis, deps.keys, 24, now),
        lastHours(deps.redis, deps.keys, 7 * 24, now),
      ]);
      return { lastDay, lastWeek };
    }, deps.timeoutMs),
    timeBoxed(() => new AuditReports(deps.redis, deps.keys).latestSummary(), deps.timeoutMs),
  ]);
  return {
    now,
    process: proc,
    app,
    redis,
    queue: queueProbe,
    heartbeats,
    lastHour,
    failedTotal,
    errorWindows,
    audit,
  };
}

function noQueue(): Probe<QueueSnapshot> {
  return { ok: false, error: "no lifecycle queue in this process" };
}

/**
 * PING with a deadline. A client that is not connected is reported at once: sending commands to it
 * would only pile them up in ioredis' offline queue.
 */
export async function probeRedis(
  redis: Redis,
  timeoutMs: number,
): Promise<{ reachable: boolean; latencyMs: number | null; error?: string }> {
  if (redis.status !== "ready")
    return { reachable: false, latencyMs: null, error: `connection ${redis.status}` };
  const started = performance.now();
  const ping = await timeBoxed(() => redis.ping(), timeoutMs);
  if (!ping.ok) return { reachable: false, latencyMs: null, error: ping.error };
  return { reachable: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
}

/** Job counts plus when the oldest waiting job became ready (creation + delay, or its last retry). */
export async function queueSnapshot(queue: Queue): Promise<QueueSnapshot> {
  const [counts, oldest] = await Promise.all([
    queue.getJobCounts("waiting", "prioritized", "active", "delayed", "failed", "completed"),
    queue.getJobs(["wait", "prioritized"], 0, 0, true),
  ]);
  const snapshot: QueueSnapshot = {
    waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    failed: counts.failed ?? 0,
    completed: counts.completed ?? 0,
  };
  // One job per state comes back (the oldest of each); a retried job waits since its last attempt.
  const readyAt = oldest
    .filter((job) => job !== undefined && job !== null)
    .map((job) => Math.max(job.timestamp + (job.delay ?? 0), job.processedOn ?? 0));
  if (readyAt.length > 0) snapshot.oldestWaitingReadyAt = Math.min(...readyAt);
  return snapshot;
}
