import type { Redis } from "ioredis";
import type { Config } from "../core/config/schema.ts";
import type { Logger } from "../core/logging/logger.ts";
import { Metrics } from "../core/metrics/metrics.ts";
import { redisKeys } from "../core/redis/keys.ts";
import { startCallControl, type CallControlHandle } from "./callControl.ts";
import { startHttpServer, type HttpServer } from "./http/server.ts";
import type { AppStatus } from "./status/appStatus.ts";

export interface AppProcessDeps {
  config: Config;
  redis: Redis;
  logger: Logger;
  status: AppStatus;
  metrics?: Metrics;
}

export interface AppProcess {
  control: CallControlHandle;
  http: HttpServer;
  stop(): Promise<void>;
}

/**
 * The app as one unit: call control (ARI, call model, lifecycle jobs) plus its HTTP API, sharing one
 * status object. `npm run app` and the in-process test stacks start it the same way.
 */
export async function startAppProcess(deps: AppProcessDeps): Promise<AppProcess> {
  const { config, redis, logger, status } = deps;
  const keys = redisKeys(config.redis.prefix);
  const metrics = deps.metrics ?? new Metrics(redis, keys);
  const control = startCallControl({ config, redis, logger, status });
  let http: HttpServer;
  try {
    http = await startHttpServer({
      config,
      redis,
      keys,
      metrics,
      appStatus: status,
      logger,
      lifecycleQueue: control.queue,
      serverId: () => control.ctx.server.id,
    });
  } catch (err) {
    await control.stop().catch(() => undefined);
    throw err;
  }
  return {
    control,
    http,
    stop: async () => {
      await http.close().catch(() => undefined);
      await control.stop();
    },
  };
}
