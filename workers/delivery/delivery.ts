import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import type { BitrixAuthConfig, Config } from "../../core/config/schema.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { AuthState } from "../bitrix/auth.ts";
import { BitrixClient } from "../bitrix/client.ts";
import { createAuth } from "../bitrix/index.ts";
import { validateGroup } from "./batchBuilder.ts";
import type { SenderDeps, SenderSettings } from "./batchSender.ts";
import { DeliveryError, internalDeliveryError } from "./deliveryError.ts";
import { DEFAULT_HOLD_SETTINGS, DeliveryHold, type HoldSettings, type HoldView } from "./deliveryHold.ts";
import { ClusterLimiter, planLimits } from "./leakyBucket.ts";
import { MicroBatcher } from "./microBatcher.ts";
import { PortalSender } from "./portalSender.ts";
import { SharedQueue, type QueueKeys } from "./sharedQueue.ts";
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
  /** Hold tuning beyond the config (tests). */
  hold?: Partial<HoldSettings>;
  /** The hold's clock (tests pass minutes of outage in a second); default `Date.now`. */
  now?: () => number;
  /** The sender lease's length (default 5 s): how soon another process takes over from a dead one. */
  senderLeaseMs?: number;
  /** How long `close()` waits for queued and in-flight groups before rejecting them. */
  closeGraceMs?: number;
  random?: () => number;
  /** Called when this process's probe cleared the hold (the worker promotes the held jobs). */
  onHoldCleared?: () => void;
}

/** What `/status` shows about delivery. */
export interface DeliveryStats {
  /** Batches in flight, groups and commands waiting in this process's sender (when it is the sender). */
  inFlightBatches: number;
  /** Recording uploads in flight or waiting for the limiter. */
  uploads: number;
  queuedGroups: number;
  queuedCommands: number;
  /** Groups of this process waiting for their answer (in the shared queue or a batch). */
  pendingGroups: number;
  /** This process holds the portal's sender lease. */
  sender: boolean;
  limiterWaiting: number;
  limiter: "on" | "off";
  authMode: "webhook" | "oauth" | "offline";
  authState: AuthState;
  /** The cluster-wide hold as this process last saw it; null when delivery is not held. */
  hold: HoldView | null;
  lastErrorCode?: string;
  lastErrorAt?: number;
  lastSuccessAt?: number;
}

export interface Delivery extends CrmFileDelivery {
  stats(): DeliveryStats;
  /**
   * New `bitrix.auth` for the same portal, without a restart (SIGHUP). A held delivery probes at once
   * with them: their fingerprint differs from the refused credentials'.
   */
  reloadAuth(auth: BitrixAuthConfig): void;
  /** The hold as Redis has it now (null: not held). */
  hold(): Promise<HoldView | null>;
  /** Whether a held job must wait for the hold's next probe (see DeliveryHold.blocksUntilProbe). */
  holdBlocks(): Promise<boolean>;
  readonly client: BitrixClient;
}

/**
 * Groups go through the portal's shared queue to the one sender of the cluster (portalSender.ts);
 * uploads go straight to this process's sender loop; both behind the cluster limiter and the hold.
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
  const hold = new DeliveryHold({
    redis: deps.redis,
    holdKey: deps.keys.deliveryHold(portal),
    healthKey: deps.keys.deliveryHealth(portal),
    settings: {
      ...DEFAULT_HOLD_SETTINGS,
      probeMinMs: bitrix.hold.probeMinMs,
      probeMaxMs: bitrix.hold.probeMaxMs,
      unreachableAfterMs: bitrix.hold.unreachableAfterSec * 1000,
      ...deps.hold,
    },
    now: deps.now ?? Date.now,
    fingerprint: () => client.auth.fingerprint(),
    onProbe: () => client.auth.forgetRejections?.(),
    onCleared: deps.onHoldCleared,
    logger: deps.logger,
    metrics: deps.metrics,
  });
  const uploads = new Set<Promise<unknown>>();
  let closing = false;
  const status: { lastErrorCode?: string; lastErrorAt?: number; lastSuccessAt?: number } = {};
  const senderDeps: SenderDeps = {
    client,
    limiter,
    hold,
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
  const id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const queueKeys: QueueKeys = {
    queue: deps.keys.deliveryQueue(portal),
    wake: deps.keys.deliveryWake(portal),
    groups: deps.keys.deliveryGroups(portal),
    sender: deps.keys.deliverySender(portal),
    results: (owner) => deps.keys.deliveryResults(owner),
  };
  const leaseMs = deps.senderLeaseMs ?? 5_000;
  // Blocking reads need connections of their own; their errors are retried by their loops.
  const blocking = (): Redis =>
    deps.redis.duplicate().on("error", (err: Error) => deps.logger?.debug({ err: err.message }, "redis"));
  const queue = new SharedQueue({
    redis: deps.redis,
    blocking: blocking(),
    keys: queueKeys,
    owner: id,
    watchMs: Math.max(100, Math.floor(leaseMs / 2)),
    logger: deps.logger,
  });
  const sender = new PortalSender({
    redis: deps.redis,
    blocking: blocking(),
    keys: queueKeys,
    id,
    leaseMs,
    batcher: (claim) =>
      new MicroBatcher(
        {
          parallelBatches: bitrix.parallelBatches,
          batchMaxCommands: bitrix.batchMaxCommands,
          batchWaitMs: bitrix.batchWaitMs,
          maxLimitRounds: settings.maxAttempts * 5,
        },
        senderDeps,
        deps.logger,
        claim,
      ),
    logger: deps.logger,
  });

  return {
    client,
    async send(group: CommandGroup): Promise<CommandResult[]> {
      if (closing) throw closedError("delivery is closing");
      const invalid = validateGroup(group, bitrix.batchMaxCommands);
      if (invalid) {
        throw new DeliveryError(
          "invalid_group",
          { code: "INVALID_GROUP", description: invalid, retryable: false },
          0,
        );
      }
      if (group.commands.length === 0) return [];
      // Held and no probe due: rejected at once, nothing queued.
      await hold.check().catch((err: unknown) => {
        throw err instanceof DeliveryError ? err : internalDeliveryError(err);
      });
      return queue.submit(group);
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
      const graceMs = deps.closeGraceMs ?? 30_000;
      const deadline = Date.now() + graceMs;
      while ((queue.pending() > 0 || uploads.size > 0) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await queue.close();
      await sender.close(Math.max(0, deadline - Date.now()));
      limiter.close();
      client.auth.close();
    },
    hold: () => hold.refresh(),
    holdBlocks: () => hold.blocksUntilProbe(),
    reloadAuth(auth: BitrixAuthConfig): void {
      client.replaceAuth(createAuth(auth, { redis: deps.redis, keys: deps.keys, logger: deps.logger }));
      deps.logger?.info({ portal, mode: auth.type }, "bitrix.auth reloaded");
    },
    stats(): DeliveryStats {
      const out: DeliveryStats = {
        inFlightBatches: sender.batcher.inFlightBatches(),
        uploads: uploads.size,
        queuedGroups: sender.batcher.queuedGroups(),
        queuedCommands: sender.batcher.queuedCommands(),
        pendingGroups: queue.pending(),
        sender: sender.isSender(),
        limiterWaiting: limiter.queued(),
        limiter: limiter.enabled ? "on" : "off",
        authMode: client.auth.mode,
        authState: client.authState(),
        hold: hold.lastKnown(),
      };
      return Object.assign(out, status);
    },
  };
}

function closedError(description: string): DeliveryError {
  return new DeliveryError("closed", { code: "CLOSED", description, retryable: true }, 0);
}
