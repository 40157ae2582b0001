/**
 * Test harness for the call workers: a private Redis, the Bitrix24 emulator, a config pointing at both,
 * and a producer that does what app/ does (store the CallState, publish its lifecycle job).
 */
import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue, type JobsOptions } from "bullmq";
import { Redis } from "ioredis";
import { startEmulator, type RunningEmulator } from "../../../emulator/server.ts";
import { CallStore } from "../../../core/calls/callStore.ts";
import type { CallState } from "../../../core/calls/types.ts";
import { parseConfig } from "../../../core/config/loadConfig.ts";
import type { Config } from "../../../core/config/schema.ts";
import { LIFECYCLE_QUEUE, lifecycleJobId, type LifecycleKind } from "../../../core/jobs/lifecycle.ts";
import { redisKeys, type RedisKeys } from "../../../core/redis/keys.ts";
import { startRedis, type TestRedis } from "../../support/redisServer.ts";
import type { StepJournal } from "../../../workers/calls/journal.ts";

export interface EmulatorCall {
  CALL_ID: string;
  EXTERNAL_CALL_ID: string;
  USER_ID: number;
  state: "registered" | "finished";
  cardShownTo: number[];
  cardLog: { action: "show" | "hide"; userId: number }[];
  finish: { USER_ID: number; DURATION: number; STATUS_CODE: string; ADD_TO_CHAT: number } | null;
  records: { fileName: string; via: string; size: number }[];
}

export interface EmulatorState {
  /** Emulator clock (ms); request log times use it. */
  now: number;
  calls: EmulatorCall[];
  requests: { method: string; commands?: string[]; status: number; at: number }[];
}

export class Harness {
  redisServer!: TestRedis;
  emulator!: RunningEmulator;
  redis!: Redis;
  queue!: Queue;
  keys!: RedisKeys;
  calls!: CallStore;
  config!: Config;
  spoolDir!: string;

  async start(configOverrides: Record<string, unknown> = {}, emulatorOptions = {}): Promise<void> {
    this.redisServer = await startRedis();
    this.emulator = await startEmulator({ plan: "box", ...emulatorOptions });
    this.spoolDir = await mkdtemp(join(tmpdir(), "itgrix-spool-"));
    const prefix = `t${randomUUID().slice(0, 8)}`;
    this.config = parseConfig({
      redis: { url: this.redisServer.url, prefix },
      bitrix: {
        auth: { type: "webhook", webhookUrl: `${this.emulator.url}/rest/1/demo-webhook-secret/` },
        plan: "box",
        batchWaitMs: 5,
        requestTimeoutMs: 4_000,
        retry: { baseDelayMs: 50, maxDelayMs: 500, maxAttempts: 3 },
      },
      workers: { concurrency: 20, jobBackoffMs: 100, inFlightWindowMs: 4_000 },
      recording: { spoolDir: this.spoolDir },
      log: { level: "silent" },
      ...configOverrides,
    });
    this.keys = redisKeys(prefix);
    this.redis = new Redis(this.redisServer.url, { maxRetriesPerRequest: null });
    this.calls = new CallStore(this.redis, this.keys);
    this.queue = new Queue(LIFECYCLE_QUEUE, { connection: this.redis, prefix });
  }

  /** Points the workers' portal URL elsewhere (e.g. a fault proxy in front of the emulator). */
  portalVia(baseUrl: string, bitrix: Record<string, unknown> = {}): void {
    this.config = parseConfig({
      ...this.config,
      bitrix: {
        ...this.config.bitrix,
        auth: { type: "webhook", webhookUrl: `${baseUrl}/rest/1/demo-webhook-secret/` },
        ...bitrix,
      },
    });
  }

  async stop(): Promise<void> {
    await this.queue?.close();
    this.redis?.disconnect();
    await this.emulator?.close();
    await this.redisServer?.stop();
  }

  /** What the app does: the state first, then its job (stable id per version). */
  async publish(
    state: CallState,
    kind: LifecycleKind = "changed",
    jobId?: string,
    jobOptions: JobsOptions = {},
  ): Promise<void> {
    await this.calls.put(state);
    const data = { callId: state.callId, version: state.version, kind, at: new Date().toISOString() };
    await this.queue.add(kind, data, {
      jobId: jobId ?? lifecycleJobId(state.callId, state.version),
      removeOnComplete: true,
      ...jobOptions,
    });
  }

  async emulatorState(): Promise<EmulatorState> {
    const response = await fetch(`${this.emulator.url}/_emulator/state`);
    return (await response.json()) as EmulatorState;
  }

  async callsFor(externalId: string): Promise<EmulatorCall[]> {
    return (await this.emulatorState()).calls.filter((c) => c.EXTERNAL_CALL_ID === externalId);
  }

  async journal(callId: string): Promise<StepJournal | undefined> {
    const json = await this.redis.get(this.keys.journal(callId));
    return json ? (JSON.parse(json) as StepJournal) : undefined;
  }

  async isDelivered(callId: string): Promise<boolean> {
    return (await this.redis.zscore(this.keys.deliveredCalls, callId)) !== null;
  }

  async configure(body: Record<string, unknown>): Promise<void> {
    await fetch(`${this.emulator.url}/_emulator/config`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
