import type { Redis } from "ioredis";
import type { RedisKeys } from "../redis/keys.ts";
import { sumBuckets } from "./bucketSums.ts";
import { countInProm } from "./counterMapping.ts";
import { HOUR_BUCKET_TTL_SEC, hourBucket, isErrorCounter } from "./errorStats.ts";
import { publishSnapshot } from "./promSnapshots.ts";

/**
 * Counters in one-minute buckets (a Redis hash per minute, kept two hours), so `/status` can say
 * "processed / failed / errors by type in the last hour" across every app and worker process.
 *
 * Counter names: `calls.processed`, `calls.failed`, `calls.skipped`, `calls.swept` (queued again by the
 * workers' sweeper), `calls.unanswered` / `calls.verified` (lost portal answers, statistic checks),
 * `calls.held` (jobs put back by a delivery hold), `calls.reprocessed`, `crm.requests`, `crm.commands`, `errors.<CODE>` (e.g. `errors.QUERY_LIMIT_EXCEEDED`,
 * `errors.NETWORK`, `errors.INTERNAL` for an unexpected error in a reconcile, `errors.ari.reconnect`),
 * `originate.failed.<REASON>` (click-to-call), `latency.hangupToCrm.ms` / `.calls` (the dashboard's
 * per-minute average).
 */
const BUCKET_TTL_SEC = 2 * 3600;

export function minuteBucket(at = new Date()): string {
  return at.toISOString().slice(0, 16).replace(/[-T:]/g, "");
}

export class Metrics {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Adds n to a counter of the current minute. Never throws: metrics must not break call handling. */
  async count(name: string, n = 1): Promise<void> {
    countInProm(name, n); // the same fact for /metrics (core/metrics/counterMapping.ts)
    const now = new Date();
    const key = this.keys.metricsMinute(minuteBucket(now));
    try {
      const multi = this.redis.multi().hincrby(key, name, n).expire(key, BUCKET_TTL_SEC);
      if (isErrorCounter(name)) {
        // Errors also go to hourly buckets: the day's and the week's statistics (errorStats.ts).
        const hour = this.keys.metricsHour(hourBucket(now));
        multi.hincrby(hour, name, n).expire(hour, HOUR_BUCKET_TTL_SEC);
      }
      await multi.exec();
    } catch {
      /* Redis down: /status will report that, counting is best effort */
    }
  }

  /** Sums every counter over the last `minutes` minutes (default: the last hour). */
  async lastMinutes(minutes = 60, now = Date.now()): Promise<Record<string, number>> {
    const buckets = Array.from({ length: minutes }, (_, i) =>
      this.keys.metricsMinute(minuteBucket(new Date(now - i * 60_000))),
    );
    return sumBuckets(this.redis, buckets);
  }

  /** Records that a component (e.g. `worker:<host>:<pid>`, `app`) is alive, with a small status. */
  async heartbeat(component: string, info: Record<string, unknown> = {}): Promise<void> {
    try {
      await this.redis.hset(this.keys.heartbeats, component, JSON.stringify({ ...info, at: Date.now() }));
      // The process's Prometheus figures ride along, for the app's /metrics (promSnapshots.ts).
      await publishSnapshot(this.redis, this.keys, component);
    } catch {
      /* best effort, see count() */
    }
  }

  /** Components seen within `withinMs`, with their last status. */
  async seen(withinMs = 30_000, now = Date.now()): Promise<Record<string, Record<string, unknown>>> {
    const all = await this.redis.hgetall(this.keys.heartbeats);
    const out: Record<string, Record<string, unknown>> = {};
    for (const [component, json] of Object.entries(all)) {
      try {
        const info = JSON.parse(json) as Record<string, unknown> & { at: number };
        if (now - info.at <= withinMs) out[component] = info;
      } catch {
        /* a corrupt heartbeat is ignored; the component will overwrite it */
      }
    }
    return out;
  }
}
