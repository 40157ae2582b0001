import { after, before, beforeEach } from "node:test";
import { Redis } from "ioredis";
import { configSchema, type Config } from "../../../core/config/schema.ts";
import { redisKeys, type RedisKeys } from "../../../core/redis/keys.ts";
import { createDelivery, type Delivery } from "../../../workers/delivery/delivery.ts";
import type { CommandGroup } from "../../../workers/delivery/types.ts";
import { startEmulator, type RunningEmulator } from "../../../emulator/server.ts";
import { startRedis, type TestRedis } from "../../support/redisServer.ts";

/** Shared helpers of the delivery integration tests (emulator + real Redis). */

export const WEBHOOK_PATH = "/rest/1/demo-webhook-secret/";

export interface EmulatorRequest {
  method: string;
  status: number;
  error?: string;
  batchSize?: number;
  at: number;
  commands?: string[];
}

export interface EmulatorState {
  now: number;
  requests: EmulatorRequest[];
  calls: { EXTERNAL_CALL_ID: string; state: string; finish?: { DURATION: number } }[];
}

export async function control(url: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${url}/_emulator/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

export const emulatorState = (url: string): Promise<EmulatorState> =>
  control(url, "state") as Promise<EmulatorState>;

export interface EmulatorAndRedis {
  readonly redisUrl: string;
  readonly emulator: RunningEmulator;
  /** The auth section of the emulator's seeded incoming webhook. */
  webhook(): { type: "webhook"; webhookUrl: string };
}

/**
 * Registers the test file's hooks: one Redis and one emulator without rate or operating limits for
 * the file, reset (state and limits) before every test. Read the fields inside tests only.
 */
export function useEmulatorAndRedis(): EmulatorAndRedis {
  let redisServer: TestRedis | undefined;
  let emulator: RunningEmulator | undefined;
  before(async () => {
    redisServer = await startRedis();
    emulator = await startEmulator({ port: 0, rateLimit: null, operatingLimitSec: null });
  });
  after(async () => {
    await emulator?.close();
    await redisServer?.stop();
  });
  beforeEach(async () => {
    await control(emulator!.url, "reset", {});
    await control(emulator!.url, "config", { rateLimit: null, operatingLimitSec: null, commandCostMs: 0 });
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("useEmulatorAndRedis: read it inside a test");
    return value;
  };
  return {
    get redisUrl() {
      return started(redisServer).url;
    },
    get emulator() {
      return started(emulator);
    },
    webhook: () => ({ type: "webhook", webhookUrl: started(emulator).url + WEBHOOK_PATH }),
  };
}

let prefixSeq = 0;

export function testConfig(bitrix: Record<string, unknown>): Config {
  return configSchema.parse({
    bitrix: {
      plan: "box",
      batchWaitMs: 10,
      retry: { baseDelayMs: 50, maxDelayMs: 1000, maxAttempts: 30 },
      ...bitrix,
    },
  });
}

export interface Harness {
  delivery: Delivery;
  redis: Redis;
  keys: RedisKeys;
  close(): Promise<void>;
}

/** A delivery with its own Redis connection; instances given the same `prefix` share limiter and tokens. */
export function deliveryFor(
  redisUrl: string,
  config: Config,
  prefix = `it${process.pid}_${prefixSeq++}`,
): Harness {
  const redis = new Redis(redisUrl);
  const keys = redisKeys(prefix);
  const delivery = createDelivery({ config, redis, keys });
  return {
    delivery,
    redis,
    keys,
    async close() {
      await delivery.close();
      await redis.quit();
    },
  };
}

let phoneSeq = 0;

/** register + finish of one finished call, the finish referring to the register (a backlog case). */
export function finishedCall(
  externalId: string,
  userId = 2,
  lane: "interactive" | "bulk" = "bulk",
): CommandGroup {
  const phone = `+7495${String(5_000_000 + phoneSeq++).padStart(7, "0")}`;
  return {
    callId: externalId,
    lane,
    commands: [
      {
        method: "telephony.externalcall.register",
        params: {
          USER_ID: userId,
          PHONE_NUMBER: phone,
          TYPE: 2,
          EXTERNAL_CALL_ID: externalId,
          SHOW: 0,
          CRM_CREATE: 0,
        },
      },
      {
        method: "telephony.externalcall.finish",
        params: {
          CALL_ID: { $ref: 0, path: ["CALL_ID"] },
          USER_ID: userId,
          DURATION: 15,
          STATUS_CODE: "200",
        },
      },
    ],
  };
}

export function countStatus(state: EmulatorState, status: number): number {
  return state.requests.filter((r) => r.status === status).length;
}
