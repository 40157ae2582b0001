import type { Redis } from "ioredis";
import type { RedisKeys } from "../redis/keys.ts";
import { sumBuckets } from "./bucketSums.ts";

/**
 * Error statistics by type for the last hour, day and week. The counters that say something went
 * wrong (`errors.<CODE>`, `calls.failed`, `calls.held`, `holds.<CAUSE>`) are also counted in hourly
 * buckets kept eight days, next to the minute buckets (two hours) `/status` reads for the last hour.
 * The last hour is exact to the minute; the day and the week are whole hours (the current one included).
 */

const HOUR_BUCKET_TTL_SEC = 8 * 24 * 3600;

export interface ErrorStats {
  lastHour: Record<string, number>;
  lastDay: Record<string, number>;
  lastWeek: Record<string, number>;
}

/** The counters that count something gone wrong. */
export function isErrorCounter(name: string): boolean {
  return (
    (name.startsWith("errors.") ||
      name.startsWith("holds.") ||
      name === "calls.failed" ||
      name === "calls.held") &&
    name !== "holds.cleared"
  );
}

export function hourBucket(at = new Date()): string {
  return at.toISOString().slice(0, 13).replace(/[-T:]/g, "");
}

export { HOUR_BUCKET_TTL_SEC };

/**
 * PURE: counters (`errors.NETWORK`, `calls.failed`, …) → error statistics by type: `errors.X` become
 * `X`, the others keep their name; zero counts are left out.
 */
export function errorTypes(counters: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(counters)) {
    if (!isErrorCounter(name) || !value) continue;
    const type = name.startsWith("errors.") ? name.slice("errors.".length) : name;
    out[type] = (out[type] ?? 0) + value;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** Sums the hourly buckets of the last `hours` hours (the current hour included). */
export async function lastHours(
  redis: Redis,
  keys: RedisKeys,
  hours: number,
  now = Date.now(),
): Promise<Record<string, number>> {
  const buckets = Array.from({ length: hours }, (_, i) =>
    keys.metricsHour(hourBucket(new Date(now - i * 3_600_000))),
  );
  return sumBuckets(redis, buckets);
}
