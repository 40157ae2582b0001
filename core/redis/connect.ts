import { Redis, type RedisOptions } from "ioredis";
import type { Config } from "../config/schema.ts";

/** The part of the configuration that says which Redis to reach (`redis.url` or `redis.sentinel`). */
export type RedisTarget = Pick<Config["redis"], "url" | "sentinel">;

/**
 * What a connection is for:
 * - `commands`: keys, Lua scripts, queue producers. Commands wait for Redis across an outage or a
 *   failover (`maxRetriesPerRequest: null`); the app bounds its routing path itself (RoutingRedis,
 *   DurableWriter), so the connection must not fail commands on its own.
 * - `blocking`: a BullMQ Worker's connection (BullMQ requires `maxRetriesPerRequest: null`).
 * - `probe`: a one-shot check (healthcheck): fails fast, never reconnects.
 */
export type RedisRole = "commands" | "blocking" | "probe";

const PROBE_TIMEOUT_MS = 4_000;

/**
 * The ioredis options for `target` and `role` (pure, so it is unit-tested). With Sentinel, ioredis
 * asks the sentinels for the current primary on every (re)connect and checks the server's role. A
 * `READONLY` answer means the server was demoted under the connection: reconnect (asking the
 * sentinels again) and re-send the command, which did not run. ioredis' `failoverDetector` stays off:
 * its `+switch-master` disconnect can land while the client is already reconnecting after the
 * primary died, and ioredis then ends the client for good (seen in the failover test).
 */
export function redisOptions(target: RedisTarget, role: RedisRole): RedisOptions {
  const byRole: RedisOptions =
    role === "probe"
      ? {
          connectTimeout: PROBE_TIMEOUT_MS,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
          sentinelRetryStrategy: () => null,
          lazyConnect: true,
        }
      : { maxRetriesPerRequest: null };
  const sentinel = target.sentinel;
  if (!sentinel) return byRole;
  return {
    ...byRole,
    sentinels: sentinel.sentinels.map(parseHostPort),
    name: sentinel.masterName,
    role: "master",
    username: sentinel.username,
    password: sentinel.password,
    sentinelPassword: sentinel.sentinelPassword,
    db: sentinel.db,
    ...(sentinel.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
    reconnectOnError: (err: Error) => (err.message.startsWith("READONLY") ? 2 : false),
  };
}

/** One connection to the Redis the configuration names: the only place app, workers and tools open one. */
export function connectRedis(target: RedisTarget, role: RedisRole = "commands"): Redis {
  const options = redisOptions(target, role);
  return target.sentinel ? new Redis(options) : new Redis(target.url, options);
}

/** Replicas that must confirm a call write (`redis.confirmReplicas`; by default 1 with Sentinel, else 0). */
export function replicasToConfirm(redis: Pick<Config["redis"], "sentinel" | "confirmReplicas">): number {
  return redis.confirmReplicas ?? (redis.sentinel ? 1 : 0);
}

/** Where a connection goes, for logs and `/status` (never a password). */
export function describeRedisTarget(target: RedisTarget): string {
  if (target.sentinel)
    return `sentinel ${target.sentinel.masterName} via ${target.sentinel.sentinels.join(", ")}`;
  try {
    const url = new URL(target.url);
    return `${url.protocol}//${url.host}${url.pathname === "/" ? "" : url.pathname}`;
  } catch {
    return "redis (unparsable url)";
  }
}

/** `host:port` or `[v6]:port` as ioredis wants a sentinel. */
export function parseHostPort(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(":");
  const host = value.slice(0, at).replace(/^\[(.*)\]$/, "$1");
  return { host, port: Number(value.slice(at + 1)) };
}
