import { hostname } from "node:os";
import { ConfigError, loadConfig } from "../core/config/loadConfig.ts";
import type { Config } from "../core/config/schema.ts";
import { createLogger } from "../core/logging/logger.ts";
import { guardProcess, throttledErrorLog } from "../core/logging/processGuards.ts";
import { Metrics } from "../core/metrics/metrics.ts";
import { connectRedis } from "../core/redis/connect.ts";
import { redisKeys } from "../core/redis/keys.ts";
import { startAppProcess, type AppProcess } from "./appProcess.ts";
import { createAppStatus } from "./status/appStatus.ts";

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`itgrix app: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** `npm run app`: the Stasis application `itgrix` with its HTTP API. */
async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger("app", config.log.level);
  const redis = connectRedis(config.redis);
  redis.on("error", throttledErrorLog(logger, "Redis connection error"));
  const keys = redisKeys(config.redis.prefix);
  const metrics = new Metrics(redis, keys);
  guardProcess(logger, (kind) => void metrics.count(`errors.${kind}`));
  const status = createAppStatus();
  let app: AppProcess;
  try {
    app = await startAppProcess({ config, redis, logger, status, metrics });
  } catch (err) {
    process.stderr.write(`itgrix app: cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const { control } = app;

  const component = `app:${hostname()}:${process.pid}`;
  const heartbeat = setInterval(() => void metrics.heartbeat(component, { ...status }), 5000);
  void metrics.heartbeat(component, { ...status });
  control.adapter.on("disconnected", () => void metrics.count("errors.ari.reconnect"));

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    clearInterval(heartbeat);
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    await app.stop().catch((err: Error) => logger.error({ err: err.message }, "stop failed"));
    await redis.quit().catch(() => undefined);
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

void main();
