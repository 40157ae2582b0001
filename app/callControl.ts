import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { CallStore } from "../core/calls/callStore.ts";
import { applyCallEvent } from "../core/calls/reducer.ts";
import type { Config } from "../core/config/schema.ts";
import { LIFECYCLE_QUEUE } from "../core/jobs/lifecycle.ts";
import type { HookRunner } from "../core/hooks/runner.ts";
import type { Logger } from "../core/logging/logger.ts";
import { Metrics } from "../core/metrics/metrics.ts";
import { throttledErrorLog as throttledLog } from "../core/logging/processGuards.ts";
import { clientNumberNormaliser } from "../core/numbers/index.ts";
import { replicasToConfirm } from "../core/redis/connect.ts";
import { redisKeys, serverScopedKeys, type RedisKeys } from "../core/redis/keys.ts";
import { AriAdapter } from "./ari/adapter.ts";
import type { AriEvent } from "./ari/types.ts";
import type { CallContext } from "./calls/context.ts";
import { ControlStore } from "./calls/control.ts";
import { DurableWriter } from "./calls/durableWriter.ts";
import { Outbox } from "./calls/outbox.ts";
import { RedisHealth, RoutingRedis } from "./calls/redisHealth.ts";
import { ReplicaConfirm } from "./calls/replicaConfirm.ts";
import { ServerIdentity } from "./calls/serverIdentity.ts";
import { KeyedSerial } from "./calls/serial.ts";
import { CallSessions } from "./calls/sessions.ts";
import { StateWriter } from "./calls/stateWriter.ts";
import { CallTimers } from "./calls/timers.ts";
import { dispatchAriEvent } from "./flow/dispatcher.ts";
import { callReactions } from "./flow/reactions.ts";
import { RedisCrmLookups } from "./routing/crmLookupClient.ts";
import { Observer } from "./observe/observer.ts";
import { resync } from "./flow/resync.ts";
import type { AppStatus } from "./status/appStatus.ts";
import { checkRedisSettings } from "./status/redisSettings.ts";

export interface CallControlDeps {
  config: Config;
  /** A connection for keys; BullMQ gets its own (blocking-safe) duplicate. */
  redis: Redis;
  logger: Logger;
  status: AppStatus;
  /** The customization hooks (started by app/appProcess.ts). */
  hooks?: HookRunner;
}

/** Sizes of every per-call structure in memory: all zero once no call is live (leak checks). */
export interface CallControlSizes {
  sessions: number;
  channels: number;
  timers: number;
  serialQueues: number;
  writeQueues: number;
  cachedStates: number;
}

export interface CallControlHandle {
  ctx: CallContext;
  adapter: AriAdapter;
  queue: Queue;
  /** Resolves when the first connect and resync are done. */
  ready: Promise<void>;
  sizes(): CallControlSizes;
  stop(): Promise<void>;
}

/**
 * Wires the call-control side of the app, in one place: ARI adapter → dispatcher → call features
 * (with their reactions to each other) → sessions → durable writer (reducer, CallStore, lifecycle
 * queue, outbox). Used by app/main.ts and, in-process, by integration tests.
 */
export function startCallControl(deps: CallControlDeps): CallControlHandle {
  const { config, redis, logger, status } = deps;
  const lifecycle = openLifecycleQueue(deps);
  const health = new RedisHealth(redis, logger);
  const replicas = new ReplicaConfirm({
    connections: [redis, lifecycle.connection],
    replicas: replicasToConfirm(config.redis),
    timeoutMs: config.redis.confirmTimeoutMs,
    logger,
  });
  const server = new ServerIdentity(config.asterisk.serverId);
  const prefix = config.redis.prefix;
  const keys = serverScopedKeys(redisKeys(prefix), prefix, () => server.id);
  const writer = openWriter(deps, keys, lifecycle.queue, health, replicas);
  // Without a configured server id the outbox waits for the id Asterisk gives at the first connect.
  if (server.known) writer.restore();
  const observing = config.observe.contexts.length > 0 || config.observe.trunks.length > 0;
  const adapter = new AriAdapter({ ...config.ari, subscribeAll: observing, logger });
  const ctx = callContext(deps, adapter, writer, health, { keys, server });
  const observer = observing ? openObserver(ctx) : undefined;
  exposeLiveStatus(status, ctx);
  const alive = new AliveMark(ctx, adapter);
  const ready = followAdapter(ctx, adapter, status, alive, observer);
  const checkSettings = (): void => void checkRedisSettings(redis, status, logger);
  checkSettings();
  redis.on("ready", checkSettings);
  adapter.start();
  return {
    ctx,
    adapter,
    queue: lifecycle.queue,
    ready,
    sizes: () => sizesOf(ctx),
    async stop() {
      status.state = "stopping";
      alive.stop();
      health.close();
      replicas.close();
      ctx.lookups?.close();
      redis.off("ready", checkSettings);
      await adapter.stop();
      ctx.timers.clearAll();
      await within(5000, ctx.serial.idle());
      await within(5000, writer.idle());
      writer.close(); // what Redis has not confirmed stays in the outbox for the next start
      await within(5000, lifecycle.queue.close());
      lifecycle.connection.disconnect();
    },
  };
}

/** The lifecycle queue on a connection of its own (BullMQ never closes a connection it was given). */
function openLifecycleQueue(deps: CallControlDeps): { queue: Queue; connection: Redis } {
  const connection = deps.redis.duplicate();
  connection.on("error", throttledLog(deps.logger, "lifecycle queue: Redis connection error"));
  const queue = new Queue(LIFECYCLE_QUEUE, { connection, prefix: deps.config.redis.prefix });
  queue.on("error", throttledLog(deps.logger, "lifecycle queue error"));
  return { queue, connection };
}

/** The durable writer; what an earlier process left in the outbox goes first (`restore`). */
function openWriter(
  deps: CallControlDeps,
  keys: RedisKeys,
  queue: Queue,
  health: RedisHealth,
  replicas: ReplicaConfirm,
): DurableWriter {
  const { config, redis, logger } = deps;
  const store = new CallStore(redis, keys);
  const controls = new ControlStore(redis, keys);
  const state = new StateWriter({ store, controls, queue, apply: applyCallEvent, logger });
  const outbox = new Outbox(config.redis.outboxFile);
  const timeoutMs = config.redis.routingTimeoutMs;
  return new DurableWriter({ state, health, outbox, timeoutMs, logger, replicas });
}

function callContext(
  deps: CallControlDeps,
  adapter: AriAdapter,
  writer: DurableWriter,
  health: RedisHealth,
  { keys, server }: { keys: RedisKeys; server: ServerIdentity },
): CallContext {
  const { config, redis, logger } = deps;
  const serial = new KeyedSerial((callId, err) => logger.error({ callId, err }, "call handler failed"));
  return {
    config,
    rest: adapter.rest,
    logger,
    keys,
    server,
    sessions: new CallSessions({ writer, controls: new ControlStore(redis, keys), logger }),
    writer,
    redis: new RoutingRedis(redis, health, config.redis.routingTimeoutMs, logger),
    health,
    serial,
    timers: new CallTimers((callId, task) => void serial.run(callId, task)),
    normalise: clientNumberNormaliser({
      defaultRegion: config.numbers.defaultRegion,
      rewrite: config.numbers.clientRewrite,
    }),
    reactions: callReactions,
    lookups: new RedisCrmLookups(redis, keys, logger),
    ...(deps.hooks ? { hooks: deps.hooks } : {}),
    metrics: new Metrics(redis, keys),
  };
}

/** Observe mode: calls of the PBX's own dialplan, in the contexts or from the trunks configured. */
function openObserver(ctx: CallContext): Observer {
  const { observe, ari } = ctx.config;
  ctx.logger.info({ ...observe }, "observe mode: following dialplan calls of these contexts and trunks");
  return new Observer(ctx, { app: ari.app, ...observe }, (linkedid) => ctx.server.callIdOf(linkedid));
}

function sizesOf(ctx: CallContext): CallControlSizes {
  const writes = ctx.writer.stats();
  const sessions = ctx.sessions.sizes();
  return {
    sessions: sessions.calls,
    channels: sessions.channels,
    timers: ctx.timers.size,
    serialQueues: ctx.serial.size,
    writeQueues: writes.calls,
    cachedStates: writes.cached,
  };
}

/** Adapter state → status; every (re)connect resynchronises the calls. Resolves after the first. */
function followAdapter(
  ctx: CallContext,
  adapter: AriAdapter,
  status: AppStatus,
  alive: AliveMark,
  observer: Observer | undefined,
): Promise<void> {
  let firstResync: () => void = () => {};
  const ready = new Promise<void>((resolve) => (firstResync = resolve));
  const handle = (e: AriEvent): void => {
    dispatchAriEvent(ctx, e);
    observer?.onEvent(e);
  };
  // Until the server id is known (first connect, GET /asterisk/info) no call id can be made: events wait.
  const early: AriEvent[] = [];
  adapter.on("event", (e) => (ctx.server.known ? handle(e) : early.push(e)));
  adapter.on("connected", () => {
    status.ariConnected = true;
    status.ariConnectedSince = new Date().toISOString();
    status.state = "running";
    const started = Date.now();
    void knowServer(ctx, adapter, early, handle)
      .then(() => alive.lostAt())
      .then(async (lostAt) => {
        if (observer) await resyncObserved(ctx, observer, lostAt);
        return resync(ctx, lostAt, { leaveAlone: (callId) => observer?.owns(callId) ?? false });
      })
      .then((r) => {
        status.lastResyncAt = new Date().toISOString();
        ctx.logger.info({ ...r, resyncMs: Date.now() - started }, "calls resynchronised with Asterisk");
      })
      .catch((err: Error) => ctx.logger.error({ err: err.message }, "resync failed"))
      .finally(firstResync);
  });
  adapter.on("disconnected", () => {
    status.ariConnected = false;
    status.ariReconnects++;
    if (status.state === "running") status.state = "reconnecting";
  });
  adapter.on("replaced", () => {
    status.state = "replaced";
    ctx.timers.clearAll(); // another process adopts the calls from Redis; this one acts on none
  });
  return ready;
}

/** Learns the server id at the first connect (restoring the outbox then), then handles waiting events. */
async function knowServer(
  ctx: CallContext,
  adapter: AriAdapter,
  early: AriEvent[],
  handle: (e: AriEvent) => void,
): Promise<void> {
  while (!ctx.server.known && adapter.isConnected) {
    try {
      const id = await ctx.server.resolve(() => adapter.rest.getAsteriskInfo(), ctx.logger);
      // The workers' audit turns linkedids into call ids with it (keys.servers).
      ctx.redis.write("server id", (r) => r.hset(ctx.keys.servers, id, new Date().toISOString()));
      ctx.writer.restore();
    } catch (err) {
      ctx.logger.warn({ err: (err as Error).message }, "server id not learnt from Asterisk yet; retrying");
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  for (const e of early.splice(0)) handle(e);
}

async function resyncObserved(ctx: CallContext, observer: Observer, lostAt?: number): Promise<void> {
  try {
    // subscribeAll on the websocket only applies when Asterisk creates the application: one that
    // still exists from an earlier connection without it (a bridge or channel kept it alive) stays
    // limited to its own channels. An explicit subscription to every channel works in both cases.
    await ctx.rest.subscribe(ctx.config.ari.app, "channel:");
    ctx.logger.info(await observer.resync(lostAt), "observed calls resynchronised with Asterisk");
  } catch (err) {
    ctx.logger.error({ err: (err as Error).message }, "resync of observed calls failed");
  }
}

/**
 * When this app last followed Asterisk: the moment the websocket was lost, or — for a process that
 * just started — the mark the previous process left in Redis (renewed every second while connected).
 * A resync dates the end of channels that vanished meanwhile to it.
 */
class AliveMark {
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ctx: CallContext,
    private readonly adapter: AriAdapter,
  ) {
    this.timer = setInterval(() => this.mark(), 1000);
    this.timer.unref();
  }

  async lostAt(): Promise<number | undefined> {
    if (this.adapter.disconnectedAt !== undefined) return this.adapter.disconnectedAt;
    const stored = Number(await this.ctx.redis.read("alive mark", (r) => r.get(this.key), null));
    return stored > Date.now() - 3600_000 ? stored : undefined;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Per server: another server's app is alive or not on its own. */
  private get key(): string {
    return this.ctx.keys.appAlive(this.ctx.config.ari.app);
  }

  private mark(): void {
    if (!this.adapter.isConnected || !this.ctx.health.up || !this.ctx.server.known) return;
    this.ctx.redis.write("alive mark", (r) => r.set(this.key, String(Date.now()), "EX", 3600));
  }
}

/** `/status` reads these at request time. */
function exposeLiveStatus(status: AppStatus, ctx: CallContext): void {
  Object.defineProperty(status, "activeCalls", {
    enumerable: true,
    configurable: true,
    get: () => ctx.sessions.sizes().calls,
  });
  Object.defineProperty(status, "callWrites", {
    enumerable: true,
    configurable: true,
    get: () => {
      const stats = ctx.writer.stats();
      const since = ctx.health.downSince;
      return {
        redisUp: ctx.health.up,
        ...(since === undefined ? {} : { redisDownSince: new Date(since).toISOString() }),
        pending: stats.pending,
        outbox: stats.outbox,
        handedToDialplan: stats.unreachable,
      };
    },
  });
}

/** Waits for `work` at most `ms` (shutdown must not hang on a Redis that is away). */
async function within(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
