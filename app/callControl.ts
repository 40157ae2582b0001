import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { CallStore } from "../core/calls/callStore.ts";
import { applyCallEvent } from "../core/calls/reducer.ts";
import type { Config } from "../core/config/schema.ts";
import { LIFECYCLE_QUEUE } from "../core/jobs/lifecycle.ts";
import type { Logger } from "../core/logging/logger.ts";
import { clientNumberNormaliser } from "../core/numbers/index.ts";
import { redisKeys } from "../core/redis/keys.ts";
import { AriAdapter } from "./ari/adapter.ts";
import type { CallContext } from "./calls/context.ts";
import { ControlStore } from "./calls/control.ts";
import { dispatchAriEvent } from "./calls/dispatcher.ts";
import { resync } from "./calls/resync.ts";
import { CallRuntime } from "./calls/runtime.ts";
import { KeyedSerial } from "./calls/serial.ts";
import { CallTimers } from "./calls/timers.ts";
import type { AppStatus } from "./status/appStatus.ts";

export interface CallControlDeps {
  config: Config;
  /** A connection for keys; BullMQ gets its own (blocking-safe) duplicates. */
  redis: Redis;
  logger: Logger;
  status: AppStatus;
}

export interface CallControlHandle {
  ctx: CallContext;
  adapter: AriAdapter;
  queue: Queue;
  /** Resolves when the first connect and resync are done. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Wires the call-control side of the app: ARI adapter → dispatcher → call features → runtime
 * (reducer, CallStore, lifecycle queue). Used by app/main.ts and, in-process, by integration tests.
 */
export function startCallControl(deps: CallControlDeps): CallControlHandle {
  const { config, redis, logger, status } = deps;
  const keys = redisKeys(config.redis.prefix);
  // BullMQ treats a connection it was given as shared and never closes it: stop() does.
  const queueConnection = redis.duplicate();
  const queue = new Queue(LIFECYCLE_QUEUE, { connection: queueConnection, prefix: config.redis.prefix });
  const runtime = new CallRuntime({
    store: new CallStore(redis, keys),
    queue,
    apply: applyCallEvent,
    logger,
    onActiveCount: (n) => (status.activeCalls = n),
  });
  const serial = new KeyedSerial((callId, err) => logger.error({ callId, err }, "call handler failed"));
  const adapter = new AriAdapter({ ...config.ari, logger });
  const ctx: CallContext = {
    config,
    rest: adapter.rest,
    runtime,
    controls: new ControlStore(redis, keys),
    redis,
    keys,
    logger,
    serial,
    timers: new CallTimers((callId, task) => void serial.run(callId, task)),
    normalise: clientNumberNormaliser({
      defaultRegion: config.numbers.defaultRegion,
      rewrite: config.numbers.clientRewrite,
    }),
  };

  let firstResync: () => void = () => {};
  const ready = new Promise<void>((resolve) => (firstResync = resolve));
  adapter.on("event", (e) => dispatchAriEvent(ctx, e));
  adapter.on("connected", () => {
    status.ariConnected = true;
    status.ariConnectedSince = new Date().toISOString();
    status.state = "running";
    void resync(ctx)
      .then(() => (status.lastResyncAt = new Date().toISOString()))
      .catch((err: Error) => logger.error({ err: err.message }, "resync failed"))
      .finally(firstResync);
  });
  adapter.on("disconnected", () => {
    status.ariConnected = false;
    status.ariReconnects++;
    if (status.state === "running") status.state = "reconnecting";
  });
  adapter.start();

  return {
    ctx,
    adapter,
    queue,
    ready,
    async stop() {
      status.state = "stopping";
      await adapter.stop();
      ctx.timers.clearAll();
      await serial.idle();
      await runtime.idle();
      await queue.close();
      queueConnection.disconnect();
    },
  };
}
