import type { Redis } from "ioredis";

/**
 * Redis figures of a run: `INFO memory` and the soak prefix's keys counted by kind, before the first
 * call and after the last one is in the CRM, so the growth per 1000 calls can be read off.
 */

export interface RedisSnapshot {
  usedMemoryBytes: number;
  /** `total_commands_processed` since Redis started (every client: app, workers, BullMQ polling). */
  commands: number;
  /** Keys under the soak's prefix by kind (`call`, `journal`, `app:ctl`, `itgrix-lifecycle`, …). */
  keys: Record<string, number>;
  /** Average `MEMORY USAGE` of a sample of each kind's keys, bytes. */
  bytesPerKey: Record<string, number>;
  totalKeys: number;
}

export interface RedisGrowth {
  before: RedisSnapshot;
  after: RedisSnapshot;
  /** (after − before) used_memory per 1000 calls placed, in MB. */
  mbPer1000Calls: number | null;
  /** Keys added per call, by kind (only kinds that grew). */
  keysPerCall: Record<string, number>;
  /** Estimated KB per call by kind (keys added × their average size). */
  kbPerCall: Record<string, number>;
  commandsPerCall: number | null;
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

const SAMPLE_KEYS = 30;

export async function redisSnapshot(redis: Redis, prefix: string): Promise<RedisSnapshot> {
  const info = await redis.info();
  const usedMemoryBytes = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
  const commands = Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
  const keys: Record<string, number> = {};
  const samples: Record<string, string[]> = {};
  let totalKeys = 0;
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    for (const key of batch) {
      const kind = keyKind(key, prefix);
      keys[kind] = (keys[kind] ?? 0) + 1;
      if ((samples[kind] ??= []).length < SAMPLE_KEYS) samples[kind].push(key);
      totalKeys++;
    }
  } while (cursor !== "0");
  const bytesPerKey: Record<string, number> = {};
  for (const [kind, names] of Object.entries(samples)) {
    const sizes = await Promise.all(names.map((k) => redis.memory("USAGE", k) as Promise<number | null>));
    const known = sizes.filter((n): n is number => typeof n === "number");
    if (known.length) bytesPerKey[kind] = known.reduce((a, b) => a + b, 0) / known.length;
  }
  return { usedMemoryBytes, commands, keys, bytesPerKey, totalKeys };
}

/** Commands per second Redis runs over `ms` (call before the first call, for the idle rate). */
export async function idleCommandsPerSec(redis: Redis, ms = 2000): Promise<number> {
  const count = async () =>
    Number(/total_commands_processed:(\d+)/.exec(await redis.info("stats"))?.[1] ?? 0);
  const first = await count();
  await new Promise((r) => setTimeout(r, ms));
  return ((await count()) - first - 1) / (ms / 1000);
}

/** Growth over a run; `idleCommands` (the idle rate × the run's length) is left out of the per-call figure. */
export function redisGrowth(
  before: RedisSnapshot,
  after: RedisSnapshot,
  calls: number,
  idleCommands = 0,
): RedisGrowth {
  const keysPerCall: Record<string, number> = {};
  const kbPerCall: Record<string, number> = {};
  for (const [kind, n] of Object.entries(after.keys)) {
    const grown = n - (before.keys[kind] ?? 0);
    if (grown <= 0 || calls <= 0) continue;
    keysPerCall[kind] = Math.round((100 * grown) / calls) / 100;
    const bytes = after.bytesPerKey[kind];
    if (bytes !== undefined) kbPerCall[kind] = Math.round((100 * grown * bytes) / calls / 1024) / 100;
  }
  const grownBytes = after.usedMemoryBytes - before.usedMemoryBytes;
  return {
    before,
    after,
    mbPer1000Calls: calls > 0 ? ((grownBytes / calls) * 1000) / 1024 / 1024 : null,
    keysPerCall,
    kbPerCall,
    commandsPerCall: calls > 0 ? Math.round((after.commands - before.commands - idleCommands) / calls) : null,
  };
}
