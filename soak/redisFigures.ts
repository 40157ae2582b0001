import type { Redis } from "ioredis";

/**
 * Redis figures of a run: `INFO memory` and the soak prefix's keys counted by kind, before the first
 * call and after the last one is in the CRM, so the growth per 1000 calls can be read off.
 */

export interface RedisSnapshot {
  usedMemoryBytes: number;
  /** Keys under the soak's prefix by kind (`call`, `journal`, `app:ctl`, `itgrix-lifecycle`, …). */
  keys: Record<string, number>;
  totalKeys: number;
}

export interface RedisGrowth {
  before: RedisSnapshot;
  after: RedisSnapshot;
  /** (after − before) used_memory per 1000 calls placed, in MB. */
  mbPer1000Calls: number | null;
  /** Keys added per call, by kind (only kinds that grew). */
  keysPerCall: Record<string, number>;
}

/** `call:<id>` → `call`; `app:ctl:<id>` → `app:ctl`; `calls:delivered` stays; ids are dropped. */
export function keyKind(key: string, prefix: string): string {
  const rest = key.startsWith(`${prefix}:`) ? key.slice(prefix.length + 1) : key;
  const kind: string[] = [];
  for (const segment of rest.split(":")) {
    if (kind.length === 2 || !/^[a-z][a-z-]*$/i.test(segment)) break;
    kind.push(segment);
  }
  return kind.length > 0 ? kind.join(":") : "(other)";
}

export async function redisSnapshot(redis: Redis, prefix: string): Promise<RedisSnapshot> {
  const info = await redis.info("memory");
  const usedMemoryBytes = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
  const keys: Record<string, number> = {};
  let totalKeys = 0;
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    for (const key of batch) {
      const kind = keyKind(key, prefix);
      keys[kind] = (keys[kind] ?? 0) + 1;
      totalKeys++;
    }
  } while (cursor !== "0");
  return { usedMemoryBytes, keys, totalKeys };
}

export function redisGrowth(before: RedisSnapshot, after: RedisSnapshot, calls: number): RedisGrowth {
  const keysPerCall: Record<string, number> = {};
  for (const [kind, n] of Object.entries(after.keys)) {
    const grown = n - (before.keys[kind] ?? 0);
    if (grown > 0 && calls > 0) keysPerCall[kind] = Math.round((100 * grown) / calls) / 100;
  }
  const grownBytes = after.usedMemoryBytes - before.usedMemoryBytes;
  return {
    before,
    after,
    mbPer1000Calls: calls > 0 ? ((grownBytes / calls) * 1000) / 1024 / 1024 : null,
    keysPerCall,
  };
}
