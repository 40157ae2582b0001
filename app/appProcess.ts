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
import { portalOfAuth } from "../core/crm/portal.ts";
import { clickToCallHandler } from "./clickToCall/clickToCall.ts";
import { HeldEvents, heldEventsFile } from "./crmEvents/heldEvents.ts";
import { CrmEventIntake } from "./crmEvents/intake.ts";
import { OfflineEventReader } from "./crmEvents/offlineStream.ts";
import { CrmEventRegistry } from "./crmEvents/registry.ts";
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
  /** Bitrix24 event name → handler (click-to-call is registered; others plug in here). */
  events: CrmEventRegistry;
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
  const events = crmEvents(deps, control);
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
      onEvent: (event) => void events.held.offer(event),
      serverId: () => control.ctx.server.id,
    });
  } catch (err) {
    events.held.close();
    await events.reader?.stop();
    await control.stop().catch(() => undefined);
    await hooks.close();
    throw err;
  }
  return {
    control,
    http,
    events: events.registry,
    stop: async () => {
      await http.close().catch(() => undefined);
      events.held.close();
      await events.reader?.stop();
      await control.stop();
      await hooks.close();
    },
  };
}

/**
 * Bitrix24 events: one registry, one intake (dedupe by CALL_ID in Redis) for both ways they arrive —
 * the HTTP handler (online) and, with `events.delivery` offline/both, the stream the workers' poller
 * fills from `event.offline.get`.
 */
function crmEvents(deps: AppProcessDeps, control: CallControlHandle) {
  const { config, redis, logger } = deps;
  const keys = redisKeys(config.redis.prefix);
  const metrics = deps.metrics ?? new Metrics(redis, keys);
  const registry = new CrmEventRegistry();
  const auth = config.bitrix.auth;
  const directoryKey = auth ? keys.userDirectory(portalOfAuth(auth)) : undefined;
  registry.register("ONEXTERNALCALLSTART", clickToCallHandler({ ctx: control.ctx, directoryKey }));
  // The callback form has no CALL_ID: its handler dedupes by number and line over its own window.
  const onCallback = callbackEventHandler(control.ctx);
  registry.register(CALLBACK_EVENT, {
    handle: async (event, _source, take) => void (await onCallback(event, take)),
    dedupeKey: () => undefined,
  });
  const intake = new CrmEventIntake({
    redis,
    keys,
    registry,
    metrics,
    logger,
    redisTimeoutMs: config.redis.routingTimeoutMs,
  });
  // Online events are not re-sent by the portal: one the intake cannot take yet is held on disk.
  const held = new HeldEvents({
    path: heldEventsFile(config.redis.outboxFile),
    accept: (event, take) => intake.accept(event, "online", take),
    logger,
  });
  held.open();
  let reader: OfflineEventReader | undefined;
  if (config.events.delivery !== "online") {
    reader = new OfflineEventReader({ redis, keys, intake, logger, consumer: `app:${config.ari.app}` });
    reader.start();
  }
  return { registry, intake, reader, held };
}
