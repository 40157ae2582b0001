import type { Redis } from "ioredis";
import type { Config } from "../../core/config/schema.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { AuthState } from "../bitrix/auth.ts";
import { BitrixClient } from "../bitrix/client.ts";
import { createAuth } from "../bitrix/index.ts";
import { pickBatch, validateGroup, type QueuedGroup } from "./batchBuilder.ts";
import { sendBatch, type SenderDeps, type SenderSettings } from "./batchSender.ts";
import { DeliveryError } from "./deliveryError.ts";
import { mergeRetryResults, planLimitedRetry } from "./limitedRetry.ts";
import { ClusterLimiter, planLimits } from "./leakyBucket.ts";
import type { CommandGroup, CommandResult, CrmFileDelivery, FileUpload } from "./types.ts";
import { sendUpload } from "./uploadSender.ts";

export interface DeliveryDeps {
  config: Config;
  redis: Redis;
  keys: RedisKeys;
  logger?: Logger;
  metrics?: Metrics;
  /** A ready client (tests); by default one is built from `config.bitrix.auth`. */
  client?: BitrixClient;
  /** Sender tuning beyond the config (tests). */
  sender?: Partial<SenderSettings>;
  /** How long `close()` waits for queued and in-flight groups before rejecting them. */
  closeGraceMs?: number;
  random?: () => number;
}

/** What `/status` shows about delivery. */
export interface DeliveryStats {
  inFlightBatches: number;
  /** Recording uploads in flight or waiting for the limiter. */
  uploads: number;
  queuedGroups: number;
  queuedCommands: number;
  limiterWaiting: number;
  limiter: "on" | "off";
  authMode: "webhook" | "oauth" | "offline";
  authState: AuthState;
  lastErrorCode?: string;
  lastErrorAt?: number;
  lastSuccessAt?: number;
}

export interface Delivery extends CrmFileDelivery {
  stats(): DeliveryStats;
  readonly client: BitrixClient;
}

interface Pending extends QueuedGroup {
  enqueuedAt: number;
  /** Follow-ups sent for commands refused by a limit inside a batch. */
  limitRounds: number;
  resolve: (results: CommandResult[]) => void;
  reject: (err: Error) => void;
}

/**
 * Micro-batcher + parallel senders: groups are queued, packed into batches of at most
 * `batchMaxCommands` (a batch leaves when full or when its oldest group waited `batchWaitMs`), and up
 * to `parallelBatches` batches fly at once, each behind the cluster limiter.
 */
export function createDelivery(deps: DeliveryDeps): Delivery {
  const bitrix = deps.config.bitrix;
  if (!deps.client && !bitrix.auth) throw new Error("bitrix.auth is not configured");
  const client =
    deps.client ??
    new BitrixClient({
      auth: createAuth(bitrix.auth!, { redis: deps.redis, keys: deps.keys, logger: deps.logger }),
      requestTimeoutMs: bitrix.requestTimeoutMs,
      logger: deps.logger,
    });
  const portal = client.auth.portal;
  const limiter = new ClusterLimiter({
    redis: deps.redis,
    bucketKey: deps.keys.limiter(portal),
    pauseKey: (method) => deps.keys.methodPause(portal, method),
    limits: planLimits(bitrix.plan, bitrix.rateLimit),
  });
  const settings: SenderSettings = {
    ...bitrix.retry,
    operatingLimitSec: bitrix.operatingLimitSec,
    operatingSlowdownAt: 0.8,
    defaultOperatingPauseMs: 60_000,
    ...deps.sender,
  };
  const queue: Pending[] = [];
  const inFlightCalls = new Set<string>();
  const running = new Set<Promise<void>>();
  const uploads = new Set<Promise<unknown>>();
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let closing = false;
  const status: { lastErrorCode?: string; lastErrorAt?: number; lastSuccessAt?: number } = {};

  function schedule(): void {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    while (running.size < bitrix.parallelBatches && queue.length > 0) {
      const held = (g: CommandGroup): boolean => g.commands.some((c) => limiter.pauseLeftMs(c.method) > 0);
      const batch = pickBatch(queue, inFlightCalls, bitrix.batchMaxCommands, held);
      if (batch.length === 0) {
        // Queued groups wait for their call's batch in flight (schedule runs again when it ends) or
        // for a method pause to end: look again a little later.
        if (queue.some((q) => held(q.group))) timer = setTimeout(schedule, 250);
        return;
      }
      const size = batch.reduce((n, q) => n + q.group.commands.length, 0);
      const oldest = queue[0]!.enqueuedAt; // the queue is in enqueue order
      const waitLeft = oldest + bitrix.batchWaitMs - Date.now();
      if (size < bitrix.batchMaxCommands && waitLeft > 0 && !closing) {
        timer = setTimeout(schedule, waitLeft);
        return;
      }
      dispatch(batch as Pending[]);
    }
  }

  const senderDeps: SenderDeps = {
    client,
    limiter,
    settings,
    logger: deps.logger,
    metrics: deps.metrics,
    random: deps.random,
    isClosed: () => closing,
    onError: (code) => {
      status.lastErrorCode = code;
      status.lastErrorAt = Date.now();
    },
    onSuccess: () => {
      status.lastSuccessAt = Date.now();
    },
  };

  function dispatch(batch: Pending[]): void {
    for (const p of batch) {
      queue.splice(queue.indexOf(p), 1);
      inFlightCalls.add(p.group.callId);
    }
    const run = sendBatch(batch, senderDeps)
      .then(
        (results) => batch.forEach((p, i) => settle(p, results[i]!)),
        (err: unknown) => {
          const error =
            err instanceof DeliveryError
              ? err
              : new DeliveryError(
                  "closed",
                  { code: "INTERNAL", description: String(err), retryable: true },
                  0,
                );
          batch.forEach((p) => p.reject(error));
        },
      )
      .finally(() => {
        for (const p of batch) inFlightCalls.delete(p.group.callId);
        running.delete(run);
        schedule();
      });
    running.add(run);
  }

  /** Resolves a group, or first re-queues (ahead of its call's later groups) what a limit refused. */
  function settle(p: Pending, results: CommandResult[]): void {
    const plan = p.limitRounds < settings.maxAttempts * 5 ? planLimitedRetry(p.group, results) : undefined;
    if (!plan) return p.resolve(results);
    deps.logger?.warn(
      { callId: p.group.callId, commands: plan.indexes.length },
      "commands refused by a limit, re-sending",
    );
    queue.unshift({
      seq: seq++,
      group: plan.group,
      enqueuedAt: p.enqueuedAt,
      limitRounds: p.limitRounds + 1,
      resolve: (retried) => p.resolve(mergeRetryResults(results, plan, retried)),
      reject: p.reject,
    });
  }

  return {
    client,
    send(group: CommandGroup): Promise<CommandResult[]> {
      if (closing) {
        return Promise.reject(
          new DeliveryError(
            "closed",
            { code: "CLOSED", description: "delivery is closing", retryable: true },
            0,
          ),
        );
      }
      const invalid = validateGroup(group, bitrix.batchMaxCommands);
      if (invalid) {
        return Promise.reject(
          new DeliveryError(
            "invalid_group",
            { code: "INVALID_GROUP", description: invalid, retryable: false },
            0,
          ),
        );
      }
      if (group.commands.length === 0) return Promise.resolve([]);
      return new Promise((resolve, reject) => {
        queue.push({ seq: seq++, group, enqueuedAt: Date.now(), limitRounds: 0, resolve, reject });
        schedule();
      });
    },
    upload(file: FileUpload): Promise<unknown> {
      if (closing) {
        return Promise.reject(
          new DeliveryError(
            "closed",
            { code: "CLOSED", description: "delivery is closing", retryable: true },
            0,
          ),
        );
      }
      const run = sendUpload(file, senderDeps).catch((err: unknown) => {
        if (err instanceof DeliveryError) throw err;
        throw new DeliveryError("closed", { code: "INTERNAL", description: String(err), retryable: true }, 0);
      });
      const tracked = run.then(
        () => undefined,
        () => undefined,
      );
      uploads.add(tracked);
      void tracked.then(() => uploads.delete(tracked));
      return run;
    },
    async close(): Promise<void> {
      closing = true;
      schedule();
      const deadline = Date.now() + (deps.closeGraceMs ?? 30_000);
      while ((queue.length > 0 || running.size > 0 || uploads.size > 0) && Date.now() < deadline) {
        await Promise.race([...running, ...uploads, new Promise((r) => setTimeout(r, 50))]);
        schedule();
      }
      if (timer) clearTimeout(timer);
      const closed = new DeliveryError(
        "closed",
        { code: "CLOSED", description: "delivery closed", retryable: true },
        0,
      );
      for (const p of queue.splice(0)) p.reject(closed);
      limiter.close();
      client.auth.close();
    },
    stats(): DeliveryStats {
      const out: DeliveryStats = {
        inFlightBatches: running.size,
        uploads: uploads.size,
        queuedGroups: queue.length,
        queuedCommands: queue.reduce((n, q) => n + q.group.commands.length, 0),
        limiterWaiting: limiter.queued(),
        limiter: limiter.enabled ? "on" : "off",
        authMode: client.auth.mode,
        authState: client.authState(),
      };
      return Object.assign(out, status);
    },
  };
}
