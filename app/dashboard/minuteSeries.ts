import type { Redis } from "ioredis";
import { minuteBucket } from "../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";

/**
 * Charts over time from the shared per-minute counters (core/metrics/metrics.ts): every app and worker
 * process counts into them, they survive restarts and are kept two hours.
 */

export interface MinuteSeries {
  /** Start of each minute, epoch seconds, oldest first. */
  t: number[];
  processed: number[];
  failed: number[];
  /** Average hang-up → CRM latency of the calls delivered in that minute (null: none delivered). */
  latencySec: (number | null)[];
  /** Errors per minute by code (codes seen in the window only). */
  errors: Record<string, number[]>;
}

/** The last `minutes` minutes' counters, oldest first, each with the start of its minute (ms). */
export async function readMinutes(
  redis: Redis,
  keys: RedisKeys,
  minutes: number,
  now = Date.now(),
): Promise<{ at: number; counters: Record<string, string> }[]> {
  const start = Math.floor(now / 60_000) * 60_000 - (minutes - 1) * 60_000;
  const starts = Array.from({ length: minutes }, (_, i) => start + i * 60_000);
  const pipeline = redis.pipeline();
  for (const at of starts) pipeline.hgetall(keys.metricsMinute(minuteBucket(new Date(at))));
  const results = (await pipeline.exec()) ?? [];
  return starts.map((at, i) => {
    const [err, value] = results[i] ?? [null, {}];
    return { at, counters: err ? {} : ((value as Record<string, string>) ?? {}) };
  });
}

export function buildMinuteSeries(minutes: { at: number; counters: Record<string, string> }[]): MinuteSeries {
  const n = (c: Record<string, string>, name: string) => Number(c[name] ?? 0) || 0;
  const codes = [
    ...new Set(
      minutes
        .flatMap((m) => Object.keys(m.counters).filter((k) => k.startsWith("errors.")))
        .map((k) => k.slice(7)),
    ),
  ].sort();
  return {
    t: minutes.map((m) => Math.round(m.at / 1000)),
    processed: minutes.map((m) => n(m.counters, "calls.processed")),
    failed: minutes.map((m) => n(m.counters, "calls.failed")),
    latencySec: minutes.map((m) => {
      const calls = n(m.counters, "latency.hangupToCrm.calls");
      return calls > 0 ? Math.round(n(m.counters, "latency.hangupToCrm.ms") / calls) / 1000 : null;
    }),
    errors: Object.fromEntries(
      codes.map((code) => [code, minutes.map((m) => n(m.counters, `errors.${code}`))]),
    ),
  };
}
