/**
 * The whole product for one end-to-end test file: the Bitrix24 emulator (random port), the Stasis
 * app in-process (call control + HTTP API on a free port) against the testbed's Asterisk, one call
 * worker, a Redis key prefix of its own on the testbed's Redis, and sipp operator phones.
 *
 *   const stack = await startStack({ groups, dids, cardMode: "ring", operators: { 110: { answerAfterMs: 500 } } });
 *   await placeCall({ from: "74951000001", to: "4951110001", talkMs: 2000 });
 *   const call = await waitForCrmCall(stack, { phone: "74951000001" });
 *   await stack.stop();
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { startAppProcess, type AppProcess } from "../../app/appProcess.ts";
import type { CallControlHandle } from "../../app/callControl.ts";
import { createAppStatus, type AppStatus } from "../../app/status/appStatus.ts";
import { CallStore } from "../../core/calls/callStore.ts";
import type { CallState } from "../../core/calls/types.ts";
import { parseConfig } from "../../core/config/loadConfig.ts";
import type { CardMode, Config } from "../../core/config/schema.ts";
import type { StatusReport } from "../../core/status/statusReport.ts";
import { LIFECYCLE_QUEUE } from "../../core/jobs/lifecycle.ts";
import { createLogger } from "../../core/logging/logger.ts";
import { Metrics } from "../../core/metrics/metrics.ts";
import { connectRedis } from "../../core/redis/connect.ts";
import { redisKeys, type RedisKeys } from "../../core/redis/keys.ts";
import { startEmulator, type RunningEmulator } from "../../emulator/server.ts";
import { startCallWorker, type CallWorker } from "../../workers/calls/callWorker.ts";
import { freePort, startAppChild, type AppChild } from "./appChild.ts";
import { waitForExclusiveAri } from "./e2eAriGuard.ts";
import { crmCalls, samePhone, type CrmCall } from "./e2eCrm.ts";
import { startOperator, stopAll, type PhoneHandle, type UasBehaviour } from "./sipp.ts";
import { getTestbed, hangupAllChannels, type TestbedInfo } from "./testbed.ts";

export type { CrmCall } from "./e2eCrm.ts";

export interface StackGroup {
  strategy?: "ringall" | "sequential" | "roundrobin";
  members: (string | number)[];
  ringTimeoutSec?: number;
  groupTimeoutSec?: number;
  overflow?: string;
}

export interface StackDid {
  group: string;
  ivr?: { prompt?: string; digitTimeoutSec?: number; maxDigits?: number; extensionRingTimeoutSec?: number };
  managerFirst?: { ringSec?: number };
}

export interface StackOptions {
  groups: Record<string, StackGroup>;
  /** DID → group (and IVR). */
  dids: Record<string, StackDid>;
  cardMode?: CardMode;
  /** Bridge recording into the testbed's recording spool, attached by the worker. Default off. */
  recording?: boolean;
  /** Operator phones started with the stack (more with `stack.operator()`). */
  operators?: Record<number, UasBehaviour>;
  /** Further config sections, merged one level deep over the stack's (e.g. `{ crm: { registerInternal: true } }`). */
  config?: Record<string, Record<string, unknown>>;
  /** A Redis of the test's own (the Redis outage tests) instead of the testbed's. */
  redisUrl?: string;
  /** Where the app reaches ARI (a TCP proxy that can cut the path) instead of the testbed's port. */
  ariUrl?: string;
  /** `child`: the app runs as its own process (`app/main.ts`), so a test can kill it with -9. */
  appProcess?: "inProcess" | "child";
  /** `oauth`: the workers act as the emulator's seeded app (event.* needs app auth). Default webhook. */
  auth?: "webhook" | "oauth";
}

export interface Stack {
  readonly config: Config;
  readonly testbed: TestbedInfo;
  readonly emulator: RunningEmulator;
  readonly prefix: string;
  readonly keys: RedisKeys;
  readonly redis: Redis;
  readonly status: AppStatus;
  /** Port of the app's HTTP API (changes after a restart). */
  readonly httpPort: number;
  /** The running app's call control (ARI adapter, context); throws while the app is stopped. */
  readonly control: CallControlHandle;
  /** (Re)starts the phone of `extension` with `behaviour` (a running phone of it is stopped first). */
  operator(extension: number, behaviour: UasBehaviour): Promise<PhoneHandle>;
  phone(extension: number): PhoneHandle;
  stopOperator(extension: number): Promise<void>;
  /** Stops the app as a crash would look to Asterisk (websocket gone); Redis and the calls stay. */
  stopApp(): Promise<void>;
  /** The app's `/status` (both modes). */
  appStatus(): Promise<StatusReport>;
  /** Child mode: kills the app with SIGKILL (nothing is flushed). */
  killApp(): Promise<void>;
  /** Child mode: the app's last log lines. */
  appOutput(): string;
  /** Stops the call worker (no lifecycle jobs, no CRM lookups are answered until `startWorker`). */
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  /** Starts the app again on the same prefix; resolves after it connected and resynchronised. */
  startApp(): Promise<void>;
  crmCalls(): Promise<CrmCall[]>;
  /** The app's call models in Redis. */
  appCalls(): Promise<CallState[]>;
  /** Lifecycle jobs not yet handled by a worker. */
  pendingJobs(): Promise<number>;
  /** Stops sipp, app, worker and emulator and deletes the prefix's keys. */
  stop(): Promise<void>;
}

const WEBHOOK_PATH = "/rest/1/demo-webhook-secret/";

function buildConfig(
  tb: TestbedInfo,
  emulatorUrl: string,
  prefix: string,
  options: StackOptions & { httpPort: number; outboxFile: string },
): Config {
  const groups = Object.fromEntries(
    Object.entries(options.groups).map(([name, g]) => [name, { ...g, members: g.members.map(String) }]),
  );
  const members = Object.values(groups).flatMap((g) => g.members);
  const base: Record<string, Record<string, unknown>> = {
    ari: {
      url: options.ariUrl ?? tb.ari.url,
      user: tb.ari.user,
      password: tb.ari.password,
      app: tb.ari.app,
      reconnectMaxDelayMs: 1000,
    },
    redis: { url: options.redisUrl ?? tb.redis.url, prefix, outboxFile: options.outboxFile },
    http: { port: options.httpPort },
    bitrix: {
      auth:
        options.auth === "oauth"
          ? {
              type: "oauth",
              restUrl: `${emulatorUrl}/rest/`,
              oauthUrl: `${emulatorUrl}/oauth/token/`,
              clientId: "local.itgrix.demo",
              clientSecret: "demo-client-secret",
              accessToken: "demo-access-token",
              refreshToken: "demo-refresh-token",
            }
          : { type: "webhook", webhookUrl: `${emulatorUrl}${WEBHOOK_PATH}` },
      plan: "box",
      batchWaitMs: 5,
      requestTimeoutMs: 5_000,
      retry: { baseDelayMs: 100, maxDelayMs: 1000, maxAttempts: 5 },
    },
    crm: { cardMode: options.cardMode ?? "ring" },
    routing: {
      operators: [...new Set([...members, ...Object.keys(options.operators ?? {})])],
      groups,
      dids: options.dids,
      outboundRingTimeoutSec: 20,
    },
    recording: { enabled: options.recording ?? false, spoolDir: tb.asterisk.recordingDir },
    workers: { concurrency: 50, jobBackoffMs: 200 },
    log: { level: process.env.LOG_LEVEL ?? "silent" },
  };
  for (const [section, values] of Object.entries(options.config ?? {}))
    base[section] = { ...base[section], ...values };
  return parseConfig(base);
}

/** Teardown must not hang a test file: each part gets 10 s, and a part that hangs is named. */
async function bounded(part: string, work: Promise<unknown> | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve("timeout"), 10_000)));
  const outcome = await Promise.race([
    Promise.resolve(work).then(
      () => "ok",
      (err: Error) => `failed: ${err.message}`,
    ),
    timeout,
  ]);
  clearTimeout(timer);
  if (outcome !== "ok") process.stderr.write(`e2e stack stop: ${part} ${outcome}\n`);
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const testbed = await getTestbed();
  await waitForExclusiveAri();
  await hangupAllChannels(testbed);
  const prefix = `t-e2e-${randomUUID().slice(0, 8)}`;
  const child = options.appProcess === "child";
  const dir = mkdtempSync(join(tmpdir(), `itgrix-${prefix}-`));
  const emulator = await startEmulator({ port: 0, plan: "box" });
  const httpPort = child ? await freePort() : 0;
  const outboxFile = join(dir, "app-outbox.jsonl");
  const config = buildConfig(testbed, emulator.url, prefix, { ...options, httpPort, outboxFile });
  const logger = createLogger("e2e", config.log.level);
  const keys = redisKeys(prefix);
  const redis = connectRedis(config.redis);
  redis.on("error", () => undefined); // a Redis outage test stops it on purpose
  const metrics = new Metrics(redis, keys);
  const status = createAppStatus();
  const queueConnection = redis.duplicate();
  queueConnection.on("error", () => undefined);
  const queue = new Queue(LIFECYCLE_QUEUE, { connection: queueConnection, prefix });
  queue.on("error", () => undefined);
  const phones = new Map<number, PhoneHandle>();
  let app: AppProcess | undefined;
  let appChild: AppChild | undefined;
  let worker: CallWorker | undefined;
  /** Set by stop(): a test body still running after its test failed must not start anything again. */
  let stopped = false;
  const afterStop = new Error("the e2e stack is stopped");

  const startApp = async (): Promise<void> => {
    if (stopped) throw afterStop;
    if (child) {
      appChild = startAppChild(config, dir);
      return appChild.waitReady(30_000);
    }
    const started = await startAppProcess({ config, redis, logger, status, metrics });
    try {
      await started.control.adapter.waitConnected(20_000);
      await started.control.ready;
      app = started;
    } catch (err) {
      await started.stop().catch(() => undefined);
      throw err;
    }
    if (stopped) {
      await stopApp().catch(() => undefined);
      throw afterStop;
    }
  };
  const stopApp = async (): Promise<void> => {
    const runningChild = appChild;
    appChild = undefined;
    await runningChild?.stop("SIGTERM");
    const running = app;
    app = undefined;
    if (!running) return;
    await running.stop();
  };
  const stopOperator = async (extension: number): Promise<void> => {
    const phone = phones.get(extension);
    phones.delete(extension);
    await phone?.stop();
  };

  const stack: Stack = {
    config,
    testbed,
    emulator,
    prefix,
    keys,
    redis,
    status,
    get httpPort() {
      if (appChild) return appChild.httpPort;
      if (!app) throw new Error("the app is stopped");
      return app.http.port;
    },
    get control() {
      if (!app) throw new Error("the app is stopped");
      return app.control;
    },
    async operator(extension, behaviour) {
      await stopOperator(extension);
      if (stopped) throw afterStop;
      const phone = await startOperator({ extension, behaviour });
      if (stopped) {
        await phone.stop();
        throw afterStop;
      }
      phones.set(extension, phone);
      return phone;
    },
    phone(extension) {
      const phone = phones.get(extension);
      if (!phone) throw new Error(`no phone started for ${extension}`);
      return phone;
    },
    stopOperator,
    stopApp,
    startApp,
    async stopWorker() {
      const running = worker;
      worker = undefined;
      await running?.close();
    },
    async startWorker() {
      if (stopped) throw afterStop;
      worker ??= await startCallWorker(config, logger);
    },
    async appStatus() {
      const res = await fetch(`http://127.0.0.1:${stack.httpPort}/status`, {
        signal: AbortSignal.timeout(5000),
      });
      return (await res.json()) as StatusReport;
    },
    async killApp() {
      if (!appChild) throw new Error("killApp: the app does not run as a child process");
      const victim = appChild;
      appChild = undefined;
      await victim.stop("SIGKILL");
    },
    appOutput: () => appChild?.output() ?? "",
    crmCalls: () => crmCalls(emulator.url),
    async appCalls() {
      const store = new CallStore(redis, keys);
      const found = await redis.keys(keys.call("*"));
      const states = await Promise.all(found.map((k) => store.get(k.slice(keys.call("").length))));
      return states.filter((s): s is CallState => s !== undefined);
    },
    async pendingJobs() {
      const counts = await queue.getJobCounts(
        "waiting",
        "active",
        "delayed",
        "prioritized",
        "waiting-children",
      );
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    async stop() {
      stopped = true;
      await bounded("sipp", stopAll());
      phones.clear();
      await bounded("app", stopApp());
      await bounded(
        "asterisk channels",
        hangupAllChannels(testbed).catch(() => 0),
      );
      await bounded("worker", worker?.close());
      await bounded(
        "queue",
        queue.obliterate({ force: true }).then(() => queue.close()),
      );
      queueConnection.disconnect();
      const left = await redis.keys(`${prefix}:*`).catch(() => [] as string[]);
      if (left.length) await redis.del(...left).catch(() => undefined);
      await bounded("redis", redis.quit());
      rmSync(dir, { recursive: true, force: true });
      await bounded("emulator", emulator.close());
    },
  };

  try {
    worker = await startCallWorker(config, logger);
    await startApp();
    for (const [ext, behaviour] of Object.entries(options.operators ?? {}))
      await stack.operator(Number(ext), behaviour);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}

export interface WaitForCrmCallOptions {
  timeoutMs?: number;
  /** Also wait until this many records are attached (default 0). */
  records?: number;
}

/**
 * Polls the emulator until a call matching `match` is finished (and its records attached), then
 * returns it. `{ phone }` matches PHONE_NUMBER by the last 10 digits. The error names what the
 * emulator held, so a failing test shows what was received instead.
 */
export async function waitForCrmCall(
  stack: Pick<Stack, "crmCalls">,
  match: ((call: CrmCall) => boolean) | { phone: string },
  options: WaitForCrmCallOptions | number = {},
): Promise<CrmCall> {
  const { timeoutMs = 30_000, records = 0 } = typeof options === "number" ? { timeoutMs: options } : options;
  const predicate =
    typeof match === "function" ? match : (c: CrmCall) => samePhone(c.PHONE_NUMBER, match.phone);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const calls = await stack.crmCalls();
    const found = calls.filter(predicate);
    const done = found.find((c) => c.state === "finished" && c.records.length >= records);
    if (done) return done;
    if (Date.now() > deadline) {
      const what = typeof match === "function" ? "the predicate" : `phone ${match.phone}`;
      const brief = calls.map((c) => ({ ...c, cardLog: c.cardLog.map((e) => `${e.action} ${e.userId}`) }));
      throw new Error(
        `no finished CRM call for ${what} (records ≥ ${records}) in ${timeoutMs} ms; emulator has: ${JSON.stringify(brief)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** All CRM calls matching (finished or not) — to check that a call is there exactly once. */
export async function crmCallsMatching(stack: Pick<Stack, "crmCalls">, phone: string): Promise<CrmCall[]> {
  return (await stack.crmCalls()).filter((c) => samePhone(c.PHONE_NUMBER, phone));
}

/** Waits until every lifecycle job published so far has been handled by the worker. */
export async function waitForWorkerIdle(
  stack: Pick<Stack, "pendingJobs">,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await stack.pendingJobs()) > 0) {
    if (Date.now() > deadline) throw new Error(`lifecycle jobs still pending after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
