import type { Redis } from "ioredis";
import type { Config } from "../../core/config/schema.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { AuthState } from "../bitrix/auth.ts";
import { BitrixClient } from "../bitrix/client.ts";
import { createAuth } from "../bitrix/index.ts";
import { validateGroup } from "./batchBuilder.ts";
import type { SenderDeps, SenderSettings } from "./batchSender.ts";
import { DeliveryError, internalDeliveryError } from "./deliveryError.ts";
import { ClusterLimiter, planLimits } from "./leakyBucket.ts";
import { MicroBatcher } from "./microBatcher.ts";
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

/** Batches through the micro-batcher; uploads straight to the sender; both behind the cluster limiter. */
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
  const uploads = new Set<Promise<unknown>>();
  let closing = false;
  const status: { lastErrorCode?: string; lastErrorAt?: number; lastSuccessAt?: number } = {};
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
  const batcher = new MicroBatcher(
    {
      parallelBatches: bitrix.parallelBatches,
      batchMaxCommands: bitrix.batchMaxCommands,
      batchWaitMs: bitrix.batchWaitMs,
      maxLimitRounds: settings.maxAttempts * 5,
    },
    senderDeps,
    deps.logger,
  );

  return {
    client,
    send(group: CommandGroup): Promise<CommandResult[]> {
      if (closing) {
        return Promise.reject(closedError("delivery is closing"));
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
      return batcher.enqueue(group);
    },
    upload(file: FileUpload): Promise<unknown> {
      if (closing) {
        return Promise.reject(closedError("delivery is closing"));
      }
      const run = sendUpload(file, senderDeps).catch((err: unknown) => {
        if (err instanceof DeliveryError) throw err;
        throw internalDeliveryError(err);
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
      batcher.schedule();
      const deadline = Date.now() + (deps.closeGraceMs ?? 30_000);
      const busy = () => batcher.queuedGroups() > 0 || batcher.inFlightBatches() > 0 || uploads.size > 0;
      while (busy() && Date.now() < deadline) {
        await Promise.race([...batcher.runningBatches(), ...uploads, new Promise((r) => setTimeout(r, 50))]);
        batcher.schedule();
      }
      batcher.rejectQueued(closedError("delivery closed"));
      limiter.close();
      client.auth.close();
    },
    stats(): DeliveryStats {
      const out: DeliveryStats = {
        inFlightBatches: batcher.inFlightBatches(),
        uploads: uploads.size,
        queuedGroups: batcher.queuedGroups(),
        queuedCommands: batcher.queuedCommands(),
        limiterWaiting: limiter.queued(),
        limiter: limiter.enabled ? "on" : "off",
        authMode: client.auth.mode,
        authState: client.authState(),
      };
      return Object.assign(out, status);
    },
  };
}

function closedError(description: string): DeliveryError {
  return new DeliveryError("closed", { code: "CLOSED", description, retryable: true }, 0);
}
