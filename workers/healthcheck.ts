import { hostname } from "node:os";
import { loadConfig } from "../core/config/loadConfig.ts";
import { Metrics } from "../core/metrics/metrics.ts";
import { connectRedis } from "../core/redis/connect.ts";
import { redisKeys } from "../core/redis/keys.ts";
import { workerHealth } from "../core/status/health.ts";

/**
 * `node dist/workers/healthcheck.js`: a worker container's healthcheck. Workers serve no HTTP, so it
 * reads the heartbeats that `/status` reports (`workers.list`) from Redis and exits 0 when a worker of
 * this host beat within 30 s, 1 otherwise (also when Redis cannot be reached within a few seconds).
 */
const TIMEOUT_MS = 4_000;

async function main(): Promise<number> {
  const config = loadConfig();
  const redis = connectRedis(config.redis, "probe");
  try {
    await redis.connect();
    const metrics = new Metrics(redis, redisKeys(config.redis.prefix));
    const verdict = workerHealth(await metrics.seen(Number.MAX_SAFE_INTEGER), hostname(), Date.now());
    process.stdout.write(`${verdict.healthy ? "healthy" : "unhealthy"}: ${verdict.reason}\n`);
    return verdict.healthy ? 0 : 1;
  } finally {
    redis.disconnect();
  }
}

const deadline = setTimeout(() => {
  process.stdout.write(`unhealthy: no answer from Redis in ${TIMEOUT_MS} ms\n`);
  process.exit(1);
}, TIMEOUT_MS + 1_000);
deadline.unref();

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stdout.write(`unhealthy: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
