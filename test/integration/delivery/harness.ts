import { after, before, beforeEach } from "node:test";
import { Redis } from "ioredis";
import { configSchema, type Config } from "../../../core/config/schema.ts";
import { redisKeys, type RedisKeys } from "../../../core/redis/keys.ts";
import { createDelivery, type Delivery, type DeliveryDeps } from "../../../workers/delivery/delivery.ts";
import { DeliveryError } from "../../../workers/delivery/deliveryError.ts";
import type { CommandGroup, CommandResult } from "../../../workers/delivery/types.ts";
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
  answerLost?: string;
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
    await control(emulator!.url, "config", {
      rateLimit: null,
      operatingLimitSec: null,
      commandCostMs: 0,
      maxBodyBytes: 16 * 1024 * 1024,
    });
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

/**
 * A delivery with its own Redis connection; instances given the same `prefix` share limiter, tokens,
 * hold and command queue, like worker processes of one cluster.
 */
export function deliveryFor(
  redisUrl: string,
  config: Config,
  prefix = `it${process.pid}_${prefixSeq++}`,
  extra: Partial<DeliveryDeps> = {},
): Harness {
  const redis = new Redis(redisUrl);
  const keys = redisKeys(prefix);
  const delivery = createDelivery({ config, redis, keys, ...extra });
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

/** A clock the test moves: the hold's probe schedule and unreachable spell run on it. */
export class TestClock {
  private t = Date.now();
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export function uniquePrefix(name: string): string {
  return `${name}${process.pid}_${prefixSeq++}`;
}

export interface Redelivery {
  results: Map<string, CommandResult[]>;
  /** Groups still held after the last round. */
  left: CommandGroup[];
  heldRejections: number;
  /** Rejections other than `held`: none is expected while a hold is only a hold. */
  others: unknown[];
}

/**
 * What the reconciler does with held groups, in rounds: send every group not delivered yet; a held
 * one comes back in the next round after the test clock moved `advanceMs` (a probe may be due then).
 */
export async function deliverThroughHolds(
  delivery: Delivery,
  groups: CommandGroup[],
  clock: TestClock,
  advanceMs: number,
  maxRounds = 30,
): Promise<Redelivery> {
  const out: Redelivery = { results: new Map(), left: groups, heldRejections: 0, others: [] };
  for (let round = 0; out.left.length > 0 && round < maxRounds; round++) {
    const sending = out.left;
    const outcomes = await Promise.allSettled(sending.map((g) => delivery.send(g)));
    out.left = [];
    outcomes.forEach((o, i) => {
      if (o.status === "fulfilled") out.results.set(sending[i]!.callId, o.value);
      else if (o.reason instanceof DeliveryError && o.reason.reason === "held") {
        out.heldRejections++;
        out.left.push(sending[i]!);
      } else out.others.push(o.reason);
    });
    if (out.left.length > 0) {
      clock.advance(advanceMs);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return out;
}

/** The calls of the emulator's state whose EXTERNAL_CALL_ID starts with `prefix`, counted per id. */
export function callsPerExternalId(state: EmulatorState, prefix: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of state.calls)
    if (c.EXTERNAL_CALL_ID.startsWith(prefix))
      counts.set(c.EXTERNAL_CALL_ID, (counts.get(c.EXTERNAL_CALL_ID) ?? 0) + 1);
  return counts;
}
