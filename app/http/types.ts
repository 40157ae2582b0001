import type { Redis } from "ioredis";
import type { Express, RequestHandler } from "express";
import type { Queue } from "bullmq";
import type { Config } from "../../core/config/schema.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { AppStatus } from "../status/appStatus.ts";

/** A verified Bitrix24 event, without any token: what the rest of the app may see. */
export interface BitrixEvent {
  /** Event name in upper case, e.g. `ONEXTERNALCALLSTART`. */
  name: string;
  /** The `data[…]` fields (strings, or nested objects for nested keys). */
  data: Record<string, unknown>;
  /** `ts` of the event, when the portal sent one. */
  ts?: string;
  /** The portal that sent it (`auth[domain]`, `auth[member_id]`), when present. */
  domain?: string;
  memberId?: string;
}

/** Called for every verified event after it has been acknowledged; errors are logged, not returned. */
export type BitrixEventHandler = (event: BitrixEvent) => void | Promise<void>;

export interface HttpDeps {
  config: Config;
  redis: Redis;
  keys: RedisKeys;
  metrics: Metrics;
  appStatus: AppStatus;
  logger: Logger;
  /** Click-to-call and other event consumers; without one, events are logged and counted only. */
  onEvent?: BitrixEventHandler;
  /** The lifecycle queue to report on; created on `redis` when not given. */
  lifecycleQueue?: Queue;
  /** Lets later features (re-processing, `/pbx/read_call`) add routes, guarded by `requireAdmin`. */
  mountRoutes?: (app: Express, requireAdmin: RequestHandler) => void;
  /** This app's Asterisk server id (throws until known): `/pbx/read_call` scopes call ids by it. */
  serverId?: () => string;
  /** Budget of each `/status` probe (default 1000 ms). */
  statusProbeTimeoutMs?: number;
}
