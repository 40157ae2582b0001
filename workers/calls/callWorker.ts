import { Queue } from "bullmq";
import { CallStore } from "../../core/calls/callStore.ts";
import type { Config } from "../../core/config/schema.ts";
import { LIFECYCLE_QUEUE } from "../../core/jobs/lifecycle.ts";
import type { HookSystem } from "../../core/hooks/hookSystem.ts";
import { startProcessHooks } from "../../core/hooks/processHooks.ts";
import type { Logger } from "../../core/logging/logger.ts";
import { throttledErrorLog } from "../../core/logging/processGuards.ts";
import { Metrics } from "../../core/metrics/metrics.ts";
import { connectRedis } from "../../core/redis/connect.ts";
import { redisKeys } from "../../core/redis/keys.ts";
import { LookupResponder } from "../crmLookup/lookupResponder.ts";
import { createDelivery, type Delivery } from "../delivery/index.ts";
import { UserDirectoryCache } from "../directory/userDirectory.ts";
import { bindEvents } from "../crmEvents/eventBinding.ts";
import { OfflineEventPoller } from "../crmEvents/offlinePoller.ts";
import { CallLocks } from "./callLock.ts";
import { JournalStore } from "./journal.ts";
import { startLifecycleConsumer, type LifecycleConsumer } from "./lifecycleConsumer.ts";
import { CallReconciler } from "./reconcileCall.ts";
import { UndeliveredSweeper, type UndeliveredSummary } from "./sweeper.ts";
import { startAuditWorker, type AuditWorker } from "../audit/auditWorker.ts";

/**
 * Composition root of one worker process: Redis connections, delivery, directory, reconciler, the
 * BullMQ consumer and the sweeper of undelivered calls. `workers/main.ts` adds config loading, heartbeat and signals; tests use it as is.
 */
export interface CallWorker {
  readonly consumer: LifecycleConsumer;
  readonly delivery: Delivery;
  readonly directory: UserDirectoryCache;
  readonly metrics: Metrics;
  readonly sweeper: UndeliveredSweeper;
  /** The self-audit (runs and schedule); absent without `cdr.url`. */
  readonly audit: AuditWorker | undefined;
  /** The customizations of this worker (loaded before the first job). */
  readonly hooks: HookSystem;
  /** Ended calls not yet delivered, skipped or failed (for the heartbeat). */
  undelivered(): Promise<UndeliveredSummary>;
  /**
   * New `bitrix.auth` (SIGHUP): delivery takes it, and jobs waiting out a hold come back at once so
   * one of them probes with the new credentials instead of waiting for the probe schedule.
   */
  reloadAuth(auth: NonNullable<Config["bitrix"]["auth"]>): Promise<void>;
  /** Stops taking jobs, lets the ones in flight finish, closes delivery and connections. */
  close(): Promise<void>;
}

export async function startCallWorker(config: Config, logger: Logger): Promise<CallWorker> {
  const keys = redisKeys(config.redis.prefix);
  const redis = connectRedis(config.redis);
  const bullConnection = connectRedis(config.redis, "blocking");
  redis.on("error", throttledErrorLog(logger, "Redis connection error"));
  bullConnection.on("error", throttledErrorLog(logger, "lifecycle consumer: Redis connection error"));
  const metrics = new Metrics(redis, keys);
  const hooks = await startProcessHooks(config, logger, metrics).catch(async (err: unknown) => {
    await Promise.all([bullConnection.quit(), redis.quit()]).catch(() => undefined);
    throw err;
  });
  // Late-bound: the queue that promotes held jobs is made after delivery.
  let promoteHeldJobs = (): void => undefined;
  const delivery = createDelivery({
    config,
    redis,
    keys,
    logger,
    metrics,
    onHoldCleared: () => promoteHeldJobs(),
  });
  const directory = new UserDirectoryCache({
    config,
    delivery,
    redis,
    redisKey: keys.userDirectory(delivery.client.auth.portal),
    logger,
  });
  await directory.start();
  const calls = new CallStore(redis, keys);
  const reconciler = new CallReconciler({
    config,
    redis,
    keys,
    calls,
    journals: new JournalStore(redis, keys),
    locks: new CallLocks(redis, keys, config.workers.jobLockMs),
    delivery,
    directory,
    metrics,
    logger,
    hooks: hooks.system.runner,
  });
  const consumer = startLifecycleConsumer({
    connection: bullConnection,
    prefix: config.redis.prefix,
    concurrency: config.workers.concurrency,
    lockDurationMs: config.workers.jobLockMs,
    reconciler,
    logger,
    holdBlocks: () => delivery.holdBlocks(),
  });
  const sweepQueue = new Queue(LIFECYCLE_QUEUE, { connection: redis, prefix: config.redis.prefix });
  sweepQueue.on("error", throttledErrorLog(logger, "sweeper queue error"));
  promoteHeldJobs = () => {
    void sweepQueue.promoteJobs().catch((err: Error) => {
      logger.warn({ err: err.message }, "held jobs not promoted; they come back at their probe time");
    });
  };
  const sweeper = new UndeliveredSweeper({ config, redis, keys, queue: sweepQueue, calls, metrics, logger });
  sweeper.start();
  const lookups = new LookupResponder({ config, redis, keys, delivery, logger, metrics });
  lookups.start();
  const audit = await startAuditWorker({
    config,
    redis,
    connection: bullConnection,
    keys,
    store: calls,
    lifecycleQueue: sweepQueue,
    delivery,
    directory,
    hooks: hooks.system.runner,
    metrics,
    logger,
  });
  void bindEvents(config, delivery, logger).catch((err: Error) =>
    logger.error({ err: err.message }, "event.bind failed: clicks may not reach the app"),
  );
  const poller = offlinePoller(config, { delivery, redis, keys, metrics, logger });
  poller?.start();
  return {
    audit,
    consumer,
    delivery,
    directory,
    metrics,
    sweeper,
    hooks: hooks.system,
    undelivered: () => sweeper.summary(),
    reloadAuth: async (auth) => {
      delivery.reloadAuth(auth);
      // Delayed jobs are held calls or retries; early ones re-check their own windows (NotYet).
      await sweepQueue.promoteJobs();
    },
    close: async () => {
      await poller?.stop();
      directory.stop();
      await lookups.close();
      await audit?.close();
      await sweeper.stop();
      await consumer.close();
      await sweepQueue.close();
      await delivery.close();
      await hooks.close();
      await Promise.all([bullConnection.quit(), redis.quit()]).catch(() => undefined);
    },
  };
}

/** Offline events (closed networks) need app auth: `event.*` is refused to a webhook. */
function offlinePoller(
  config: Config,
  deps: Omit<ConstructorParameters<typeof OfflineEventPoller>[0], "config">,
): OfflineEventPoller | undefined {
  if (config.events.delivery === "online") return undefined;
  if (!config.bitrix.auth || config.bitrix.auth.type === "webhook") {
    deps.logger.error(
      { key: "events.delivery" },
      "offline events need bitrix.auth oauth or offline tokens (event.offline.get is app-only); not polling",
    );
    return undefined;
  }
  return new OfflineEventPoller({ config, ...deps });
}
