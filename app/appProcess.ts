import type { Redis } from "ioredis";
import type { Config } from "../core/config/schema.ts";
import type { Logger } from "../core/logging/logger.ts";
import { startProcessHooks } from "../core/hooks/processHooks.ts";
import { hookStatusView } from "../core/hooks/statusView.ts";
import { Metrics } from "../core/metrics/metrics.ts";
import { redisKeys } from "../core/redis/keys.ts";
import { CALLBACK_EVENT } from "./callback/callbackEvent.ts";
import { callbackEventHandler } from "./callback/callbackHandler.ts";
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
  const hooks = await startProcessHooks(config, logger, metrics);
  Object.defineProperty(status, "hooks", {
    get: () => hookStatusView(hooks.system.status()),
    enumerable: true,
    configurable: true,
  });
  const control = startCallControl({ config, redis, logger, status, hooks: hooks.system.runner });
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
      onEvent: eventHandlers(control),
      serverId: () => control.ctx.server.id,
    });
  } catch (err) {
    await control.stop().catch(() => undefined);
    await hooks.close();
    throw err;
  }
  return {
    control,
    http,
    stop: async () => {
      await http.close().catch(() => undefined);
      await control.stop();
      await hooks.close();
    },
  };
}

/**
 * Bitrix24 events by name. The callback form is handled here until the event intake (online and
 * offline) takes over the registry; other events are logged and counted by the route only.
 */
function eventHandlers(
  control: CallControlHandle,
): NonNullable<Parameters<typeof startHttpServer>[0]["onEvent"]> {
  const onCallback = callbackEventHandler(control.ctx);
  return async (event) => {
    if (event.name === CALLBACK_EVENT) await onCallback(event);
  };
}
