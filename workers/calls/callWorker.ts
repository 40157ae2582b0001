import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { CallStore } from "../../core/calls/callStore.ts";
import type { Config } from "../../core/config/schema.ts";
import { LIFECYCLE_QUEUE } from "../../core/jobs/lifecycle.ts";
import type { Logger } from "../../core/logging/logger.ts";
import { Metrics } from "../../core/metrics/metrics.ts";
import { redisKeys } from "../../core/redis/keys.ts";
import { createDelivery, type Delivery } from "../delivery/index.ts";
import { UserDirectoryCache } from "../directory/userDirectory.ts";
import { bindEvents } from "../crmEvents/eventBinding.ts";
import { OfflineEventPoller } from "../crmEvents/offlinePoller.ts";
import { CallLocks } from "./callLock.ts";
import { JournalStore } from "./journal.ts";
import { startLifecycleConsumer, type LifecycleConsumer } from "./lifecycleConsumer.ts";
import { CallReconciler } from "./reconcileCall.ts";
import { UndeliveredSweeper, type UndeliveredSummary } from "./sweeper.ts";

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
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: null });
  const bullConnection = new Redis(config.redis.url, { maxRetriesPerRequest: null });
  const metrics = new Metrics(redis, keys);
  const delivery = createDelivery({ config, redis, keys, logger, metrics });
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
  });
  const consumer = startLifecycleConsumer({
    connection: bullConnection,
    prefix: config.redis.prefix,
    concurrency: config.workers.concurrency,
    lockDurationMs: config.workers.jobLockMs,
    reconciler,
    logger,
  });
  const sweepQueue = new Queue(LIFECYCLE_QUEUE, { connection: redis, prefix: config.redis.prefix });
  const sweeper = new UndeliveredSweeper({ config, redis, keys, queue: sweepQueue, calls, metrics, logger });
  sweeper.start();
  void bindEvents(config, delivery, logger).catch((err: Error) =>
    logger.error({ err: err.message }, "event.bind failed: clicks may not reach the app"),
  );
  const poller = offlinePoller(config, { delivery, redis, keys, metrics, logger });
  poller?.start();
  return {
    consumer,
    delivery,
    directory,
    metrics,
    sweeper,
    undelivered: () => sweeper.summary(),
    reloadAuth: async (auth) => {
      delivery.reloadAuth(auth);
      // Delayed jobs are held calls or retries; early ones re-check their own windows (NotYet).
      await sweepQueue.promoteJobs();
    },
    close: async () => {
      await poller?.stop();
      directory.stop();
      await sweeper.stop();
      await consumer.close();
      await sweepQueue.close();
      await delivery.close();
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
