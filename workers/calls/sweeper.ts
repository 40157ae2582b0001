import { randomUUID } from "node:crypto";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { CallStore } from "../../core/calls/callStore.ts";
import type { Config } from "../../core/config/schema.ts";
import {
  LIFECYCLE_JOB_OPTIONS,
  lifecycleJobId,
  sweepJobId,
  type LifecycleJob,
} from "../../core/jobs/lifecycle.ts";
import type { Logger } from "../../core/logging/logger.ts";
import { minuteBucket, type Metrics } from "../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import { trimByAge, type TrimConfig } from "./indexTrim.ts";

/**
 * The safety net behind "every call in the CRM": an ended call stays in `undeliveredCalls` until a
 * worker delivers, skips or fails it for good. Whatever lost its job on the way (a job failed for an
 * unexpected reason, a job never published, a reconcile that stopped early) is found here: every
 * `workers.sweepIntervalMs` one worker (Redis lock) queues a `reprocess` job for each such call that
 * ended more than `workers.sweepAfterSec` ago and has no job waiting. A reconcile is idempotent, so a
 * job too many costs a little time, never a second call in the CRM. The same round trims the
 * delivered/failed indexes and the heartbeats by age (indexTrim.ts).
 */

export interface SweeperDeps {
  config: { workers: Pick<Config["workers"], "sweepAfterSec" | "sweepIntervalMs"> & TrimConfig };
  redis: Redis;
  keys: RedisKeys;
  queue: Queue;
  calls: CallStore;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
}

/** What the heartbeat (and `/status`) shows about the calls not yet in the CRM. */
export interface UndeliveredSummary {
  undelivered: number;
  oldestUndeliveredSec: number | null;
}

/** Job states in which the job will still run (a consumer's retry waits as `delayed`). */
const PENDING = new Set(["waiting", "prioritized", "delayed", "active", "waiting-children"]);
/** Calls looked at per page and per round (a larger backlog is taken up by the next rounds). */
const PAGE = 500;
const MAX_PER_ROUND = 5_000;

export class UndeliveredSweeper {
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: SweeperDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.deps.config.workers.sweepIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One sweep round, if no other worker sweeps now. Resolves with the number of calls queued again. */
  async sweep(): Promise<number> {
    const { redis, keys, config } = this.deps;
    // Held (not released) for most of an interval: one round per interval across all workers.
    const lockMs = Math.max(50, Math.floor(config.workers.sweepIntervalMs * 0.9));
    if ((await redis.set(keys.sweepLock, randomUUID(), "PX", lockMs, "NX")) !== "OK") return 0;
    const nowMs = this.now();
    const before = nowMs - config.workers.sweepAfterSec * 1000;
    const minute = minuteBucket(new Date(nowMs));
    let queued = 0;
    for (let offset = 0; offset < MAX_PER_ROUND; offset += PAGE) {
      const due = await redis.zrangebyscore(keys.undeliveredCalls, "-inf", before, "LIMIT", offset, PAGE);
      for (const callId of due) if (await this.requeue(callId, minute, nowMs)) queued++;
      if (due.length < PAGE) break;
    }
    if (queued > 0) {
      await this.deps.metrics.count("calls.swept", queued);
      this.deps.logger.warn({ calls: queued }, "undelivered calls queued again by the sweeper");
    }
    const trimmed = await trimByAge(redis, keys, config.workers, nowMs);
    if (trimmed.delivered + trimmed.failed + trimmed.heartbeats > 0) {
      this.deps.logger.info(trimmed, "old index entries and heartbeats trimmed");
    }
    return queued;
  }

  async summary(): Promise<UndeliveredSummary> {
    const { redis, keys } = this.deps;
    const [count, oldest] = await Promise.all([
      redis.zcard(keys.undeliveredCalls),
      redis.zrange(keys.undeliveredCalls, 0, 0, "WITHSCORES"),
    ]);
    const oldestMs = oldest[1] === undefined ? undefined : Number(oldest[1]);
    return {
      undelivered: count,
      oldestUndeliveredSec:
        oldestMs === undefined ? null : Math.max(0, Math.round((this.now() - oldestMs) / 1000)),
    };
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.sweep()
      .then(() => undefined)
      .catch((err: unknown) => this.deps.logger.warn({ err: String(err) }, "sweep failed"))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Queues a `reprocess` job unless one of the call's jobs is still to run; true when queued. */
  private async requeue(callId: string, minute: string, nowMs: number): Promise<boolean> {
    const { queue, calls, logger } = this.deps;
    const state = await calls.get(callId).catch((err: unknown) => {
      logger.error({ callId, err: String(err) }, "sweeper: call state unreadable");
      return null;
    });
    if (state === null) return false;
    if (!state) {
      await this.stateExpired(callId, nowMs);
      return false;
    }
    const jobId = sweepJobId(callId, minute);
    for (const id of [lifecycleJobId(callId, state.version), jobId]) {
      const jobState = await queue.getJobState(id);
      if (PENDING.has(jobState) || (id === jobId && jobState !== "unknown")) return false;
    }
    const data: LifecycleJob = {
      callId,
      version: state.version,
      kind: "reprocess",
      at: new Date(nowMs).toISOString(),
    };
    // One sweep job per call at a time: a sweep job waiting for its retry holds the next rounds back.
    const job = await queue.add("reprocess", data, {
      ...LIFECYCLE_JOB_OPTIONS,
      jobId,
      deduplication: { id: `${callId.replace(/:/g, "_")}-sweep` },
    });
    if (job.id !== jobId) return false;
    logger.info({ callId, job: jobId, version: state.version }, "undelivered call queued again");
    return true;
  }

  /** The call's state is gone (kept 7 days): nothing can deliver it any more; a human must look. */
  private async stateExpired(callId: string, nowMs: number): Promise<void> {
    const { redis, keys, metrics, logger } = this.deps;
    const replies = await redis
      .multi()
      .zadd(keys.failedCalls, "NX", nowMs, callId)
      .zrem(keys.undeliveredCalls, callId)
      .exec();
    logger.error({ callId }, "undelivered call has no state any more; recorded as failed");
    if (Number(replies?.[0]?.[1]) === 1) {
      await metrics.count("calls.failed");
      await metrics.count("errors.NO_STATE");
    }
  }
}
