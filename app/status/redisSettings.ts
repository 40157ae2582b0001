import type { Redis } from "ioredis";
import type { Logger } from "../../core/logging/logger.ts";
import { redisProblems } from "../../core/status/statusReport.ts";
import { timeBoxed } from "../../core/status/statusProbes.ts";
import type { AppStatus } from "./appStatus.ts";

/** One `CONFIG GET` value, or null when Redis does not answer or refuses CONFIG (managed Redis). */
async function configValue(redis: Redis, name: string, timeoutMs: number): Promise<string | null> {
  const probe = await timeBoxed(() => redis.config("GET", name) as Promise<unknown>, timeoutMs);
  if (!probe.ok || !Array.isArray(probe.value)) return null;
  const value: unknown = probe.value[1];
  return typeof value === "string" ? value : null;
}

/**
 * Reads whether Redis keeps what the app writes (AOF) and never evicts it, into the status, and
 * warns in the log when it does not: at start and whenever the connection is ready again.
 */
export async function checkRedisSettings(redis: Redis, status: AppStatus, logger: Logger): Promise<void> {
  const [appendonly, maxmemoryPolicy] = await Promise.all([
    configValue(redis, "appendonly", 2000),
    configValue(redis, "maxmemory-policy", 2000),
  ]);
  status.redisSettings = { appendonly, maxmemoryPolicy };
  for (const problem of redisProblems({ ...status, callWrites: undefined })) logger.warn(problem);
}
