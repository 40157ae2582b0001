import type { Redis } from "ioredis";
import type { Config } from "../../core/config/schema.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";

/**
 * No slow leak: the end-of-call indexes and the heartbeats grow with every call and every process
 * start, so each sweep round drops entries older than their retention (`workers.keep*Sec`). A trimmed
 * call keeps its journal (30 days) and, for a week, its state: `GET /calls/:id` and re-processing by
 * id still work; only the lists forget it.
 */

export type TrimConfig = Pick<Config["workers"], "keepDeliveredSec" | "keepFailedSec" | "keepHeartbeatsSec">;

export interface Trimmed {
  delivered: number;
  failed: number;
  heartbeats: number;
}

export async function trimByAge(
  redis: Redis,
  keys: RedisKeys,
  config: TrimConfig,
  nowMs: number,
): Promise<Trimmed> {
  const [delivered, failed] = await Promise.all([
    redis.zremrangebyscore(keys.deliveredCalls, "-inf", `(${nowMs - config.keepDeliveredSec * 1000}`),
    redis.zremrangebyscore(keys.failedCalls, "-inf", `(${nowMs - config.keepFailedSec * 1000}`),
  ]);
  const heartbeats = await trimHeartbeats(redis, keys, nowMs - config.keepHeartbeatsSec * 1000);
  return { delivered, failed, heartbeats };
}

/** Heartbeats last written before `beforeMs` (or unreadable) are removed. */
async function trimHeartbeats(redis: Redis, keys: RedisKeys, beforeMs: number): Promise<number> {
  const all = await redis.hgetall(keys.heartbeats);
  const stale = Object.entries(all)
    .filter(([, json]) => !(heartbeatAt(json) >= beforeMs))
    .map(([component]) => component);
  return stale.length > 0 ? redis.hdel(keys.heartbeats, ...stale) : 0;
}

function heartbeatAt(json: string): number {
  try {
    const at = (JSON.parse(json) as { at?: unknown } | null)?.at;
    return typeof at === "number" ? at : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
