import type { Redis } from "ioredis";

/** Sums the counters of several time buckets (hashes of name → count), in one pipeline. */
export async function sumBuckets(
  redis: Redis,
  bucketKeys: readonly string[],
): Promise<Record<string, number>> {
  const pipeline = redis.pipeline();
  for (const key of bucketKeys) pipeline.hgetall(key);
  const totals: Record<string, number> = {};
  for (const [err, bucket] of (await pipeline.exec()) ?? []) {
    if (err || !bucket) continue;
    for (const [name, value] of Object.entries(bucket as Record<string, string>)) {
      totals[name] = (totals[name] ?? 0) + Number(value);
    }
  }
  return totals;
}
