import { randomBytes, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { CallStore } from "../core/calls/callStore.ts";
import { LIFECYCLE_QUEUE, lifecycleJobId, type LifecycleJob } from "../core/jobs/lifecycle.ts";
import { redisKeys, type RedisKeys } from "../core/redis/keys.ts";
import type { RunningEmulator } from "../emulator/server.ts";
import { generateCalls, type GeneratedCall } from "./callMix.ts";
import { directoryOf, expectedCrm, type ExpectedCrm } from "./expectations.ts";
import { rateLimitFloorSec, requestsNeeded, workNeeded } from "./floor.ts";
import { writeRecordings } from "./spool.ts";
import type { RecordingServer } from "./recordingServer.ts";
import { seedUsers, webhookUrlOf, type BenchStack, type WorkerProcess } from "./stack.ts";
import {
  crmCompletedAt,
  groupByExternalId,
  isSettled,
  percentile,
  requestStats,
  verifyCalls,
  type CallProblem,
  type EmulatorCall,
  type EmulatorRequest,
} from "./verifier.ts";

/**
 * One measured run: N generated calls stored and enqueued "at once" (or at a given rate), worker
 * processes against a fresh emulator, polling the emulator until every call is in the CRM, then the
 * full verification, the request log and the workers' peak memory.
 */

export interface RunSpec {
  name: string;
  calls: number;
  seed: number;
  recordingShare: number;
  /** `crm.recordDelivery`: upload the files, or hand the emulator signed links (default upload). */
  recordDelivery?: RecordDelivery;
  workers: number;
  /** Overrides of the workers' `bitrix` section (parallelBatches, batchWaitMs, …). */
  bitrix?: Record<string, unknown>;
  commandCostMs: number;
  /** Extra latency of every REST request (the emulator's fault latency): a slow portal. */
  latencyMs?: number;
  /** Jobs per second; 0 or undefined: all at once. */
  enqueuePerSec?: number;
  timeoutSec: number;
  log?: (line: string) => void;
}

export type RecordDelivery = "upload" | "url";

export interface RunResult {
  name: string;
  recordDelivery: RecordDelivery;
  calls: number;
  workers: number;
  parallelBatches: number;
  /** First job enqueued → the poll that saw the last call complete in the CRM. */
  seconds: number;
  /** First job enqueued → the emulator's timestamp of the last CRM write (finish or recording). */
  crmSeconds: number;
  verified: number;
  missing: number;
  duplicates: number;
  wrong: number;
  failedCalls: number;
  timedOut: boolean;
  requests: number;
  commands: number;
  batches: number;
  uploads: number;
  status503: number;
  status429: number;
  otherErrors: number;
  recordings: number;
  requestsNeeded: number;
  floorSeconds: number;
  /** Highest peak RSS of one worker process, and the sum over the run's workers (MB). */
  peakRssMb: number;
  peakRssTotalMb: number;
  /** finish in the CRM − job enqueued, seconds. */
  delayP50Sec: number;
  delayP95Sec: number;
  delayMaxSec: number;
  problems: CallProblem[];
}

interface EmulatorState {
  now: number;
  calls: EmulatorCall[];
  requests: EmulatorRequest[];
  config?: { bucketLevel?: number };
}

export async function runBench(stack: BenchStack, spec: RunSpec): Promise<RunResult> {
  const log = spec.log ?? (() => undefined);
  const firstCallAtMs = Date.now() - 2 * 3600_000 - spec.calls * 3600;
  const calls = generateCalls({
    count: spec.calls,
    seed: spec.seed,
    firstCallAtMs,
    recordingShare: spec.recordingShare,
  });
  const directory = directoryOf(seedUsers());
  const expected = calls.map((c) => expectedCrm(c, directory));
  const emulator = await stack.emulator({ commandCostMs: spec.commandCostMs });
  const runName = `${spec.name}-${randomUUID().slice(0, 6)}`;
  const prefix = `bench-${runName}`;
  const redisUrl = await stack.redisUrl();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on("error", () => undefined); // only while stopping on a signal; the run's own calls report failures
  const keys = redisKeys(prefix);
  const queue = new Queue(LIFECYCLE_QUEUE, { connection: redis, prefix });
  queue.on("error", () => undefined);
  let workers: WorkerProcess[] = [];
  let recordingServer: RecordingServer | undefined;
  const recordDelivery = spec.recordDelivery ?? "upload";
  try {
    const spoolDir = await stack.spoolDir(runName);
    await writeRecordings(
      spoolDir,
      calls.flatMap((c) => (c.recordingFile ? [c.recordingFile] : [])),
    );
    const signingKey = randomBytes(24).toString("hex");
    if (recordDelivery === "url") recordingServer = await stack.recordingServer(spoolDir, signingKey);
    const bitrix: Record<string, unknown> = {
      auth: { type: "webhook", webhookUrl: webhookUrlOf(emulator) },
      plan: "standard",
      ...spec.bitrix,
    };
    const configFile = await stack.writeConfig(runName, {
      redis: { url: redisUrl, prefix },
      bitrix,
      crm: { recordDelivery },
      ...(recordingServer ? { http: { publicUrl: recordingServer.url, signingKey } } : {}),
      recording: { enabled: true, format: "wav", spoolDir },
      log: { level: "warn" },
    });
    workers = stack.startWorkers(runName, spec.workers, configFile);
    await waitForWorkers(redis, keys, workers);
    await waitForFullBucket(emulator);
    if (spec.latencyMs) await control(emulator, "faults", { latencyMs: spec.latencyMs });
    await storeStates(redis, keys, calls);
    log(`${spec.name}: ${spec.calls} calls, ${spec.workers} worker(s), enqueueing`);

    const t0 = Date.now();
    const enqueuedAt = await enqueue(queue, calls, spec.enqueuePerSec ?? 0);
    const watch = await watchUntilSettled({
      stack,
      emulator,
      redis,
      keys,
      expected,
      workers,
      t0,
      timeoutSec: spec.timeoutSec,
    });
    const seconds = (watch.doneAt - t0) / 1000;

    const final = await emulatorState(emulator);
    await stack.writeRunFile(
      runName,
      "emulator-requests.json",
      final.requests.filter((r) => r.at >= t0),
    );
    const verification = verifyCalls(expected, final.calls);
    const stats = requestStats(final.requests.filter((r) => r.at >= t0));
    const byId = groupByExternalId(final.calls);
    const lastWrite = Math.max(t0, ...expected.map((e) => crmCompletedAt(byId.get(e.callId)) ?? t0));
    const delays = expected.flatMap((e) => {
      const finishedAt = byId.get(e.callId)?.[0]?.finish?.finishedAt;
      return finishedAt === undefined ? [] : [(finishedAt - enqueuedAt.get(e.callId)!) / 1000];
    });
    const work = workNeeded(expected, recordDelivery);
    const needed = requestsNeeded(work);
    stack.sampleRss(workers);
    const failedCalls = await redis.zcard(keys.failedCalls);
    await stack.stopWorkers(workers);
    const rss = workers.map((w) => w.peakRssKb / 1024);
    return {
      name: spec.name,
      recordDelivery,
      calls: spec.calls,
      workers: spec.workers,
      parallelBatches: Number(bitrix.parallelBatches ?? 4),
      seconds: round(seconds, 2),
      crmSeconds: round((lastWrite - t0) / 1000, 2),
      verified: verification.verified,
      missing: verification.missing,
      duplicates: verification.duplicates,
      wrong: verification.wrong,
      failedCalls,
      timedOut: watch.timedOut,
      ...stats,
      recordings: expected.filter((e) => e.recording).length,
      requestsNeeded: needed,
      floorSeconds: round(rateLimitFloorSec(needed), 1),
      peakRssMb: round(Math.max(0, ...rss), 1),
      peakRssTotalMb: round(
        rss.reduce((a, b) => a + b, 0),
        1,
      ),
      delayP50Sec: round(percentile(delays, 50), 2),
      delayP95Sec: round(percentile(delays, 95), 2),
      delayMaxSec: round(percentile(delays, 100), 2),
      problems: verification.problems.slice(0, 20),
    };
  } finally {
    await stack.stopWorkers(workers);
    await queue.close().catch(() => undefined);
    redis.disconnect();
    await stack.closeEmulator(emulator);
    if (recordingServer) await stack.closeRecordingServer(recordingServer);
  }
}

async function emulatorState(emulator: RunningEmulator, sinceMs?: number): Promise<EmulatorState> {
  const query = sinceMs === undefined ? "" : `?since=${sinceMs}`;
  const response = await fetch(`${emulator.url}/_emulator/state${query}`);
  if (!response.ok) throw new Error(`emulator state: HTTP ${response.status}`);
  return (await response.json()) as EmulatorState;
}

async function control(emulator: RunningEmulator, endpoint: string, body: unknown): Promise<void> {
  const response = await fetch(`${emulator.url}/_emulator/${endpoint}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`emulator ${endpoint}: HTTP ${response.status} ${await response.text()}`);
}

/** Every worker has written its heartbeat (it has loaded the directory and consumes jobs). */
async function waitForWorkers(redis: Redis, keys: RedisKeys, workers: WorkerProcess[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await redis.hlen(keys.heartbeats)) < workers.length) {
    await failIfExited(workers);
    if (Date.now() > deadline)
      throw new Error(`workers did not start within 60 s (logs: ${workers[0]?.logFile})`);
    await sleep(100);
  }
}

async function failIfExited(workers: WorkerProcess[]): Promise<void> {
  const dead = workers.find((w) => w.child.exitCode !== null || w.child.signalCode !== null);
  if (!dead) return;
  const tail = (await readFile(dead.logFile, "utf8").catch(() => "")).split("\n").slice(-15).join("\n");
  throw new Error(
    `${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}); log ${dead.logFile}:\n${tail}`,
  );
}

/** The workers' start-up requests (user.get) drain away, so each run starts with a full burst. */
async function waitForFullBucket(emulator: RunningEmulator): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const level = (await emulatorState(emulator, Date.now())).config?.bucketLevel ?? 0;
    if (level <= 0.01) return;
    await sleep(200);
  }
}

async function storeStates(redis: Redis, keys: RedisKeys, calls: GeneratedCall[]): Promise<void> {
  const store = new CallStore(redis, keys);
  for (let i = 0; i < calls.length; i += 200) {
    await Promise.all(calls.slice(i, i + 200).map((c) => store.put(c.state)));
  }
}

/** Enqueues the `ended` job of every call; returns when each was enqueued (ms). */
async function enqueue(queue: Queue, calls: GeneratedCall[], perSec: number): Promise<Map<string, number>> {
  const at = new Map<string, number>();
  const chunk = perSec > 0 ? Math.max(1, Math.round(perSec / 10)) : calls.length;
  const start = Date.now();
  for (let i = 0; i < calls.length; i += chunk) {
    if (perSec > 0) await sleep(start + (i / perSec) * 1000 - Date.now());
    const now = Date.now();
    const jobs = calls.slice(i, i + chunk).map((c) => {
      at.set(c.callId, now);
      const data: LifecycleJob = {
        callId: c.callId,
        version: c.state.version,
        kind: "ended",
        at: new Date(now).toISOString(),
      };
      const opts = {
        jobId: lifecycleJobId(c.callId, c.state.version),
        removeOnComplete: { age: 3600 },
        removeOnFail: { age: 86_400 },
      };
      return { name: "ended", data, opts };
    });
    await queue.addBulk(jobs);
  }
  return at;
}

interface WatchInput {
  stack: BenchStack;
  emulator: RunningEmulator;
  redis: Redis;
  keys: RedisKeys;
  expected: ExpectedCrm[];
  workers: WorkerProcess[];
  t0: number;
  timeoutSec: number;
}

/**
 * Polls the emulator (only calls changed since the last poll) until every call is complete, or every
 * call is complete or recorded as failed by the workers, or the time is up.
 */
async function watchUntilSettled(w: WatchInput): Promise<{ doneAt: number; timedOut: boolean }> {
  const pollMs = w.expected.length >= 500 ? 400 : 250;
  const seen = new Map<string, EmulatorCall>();
  const pending = new Set(w.expected.map((e) => e.callId));
  const byCallId = new Map(w.expected.map((e) => [e.callId, e]));
  let since = w.t0 - 1;
  for (;;) {
    const state = await emulatorState(w.emulator, since);
    since = state.now - 2_000; // overlap: a call written while the snapshot was built is seen again
    for (const call of state.calls) seen.set(call.CALL_ID, call);
    const byId = groupByExternalId([...seen.values()]);
    for (const callId of pending) {
      if (isSettled(byCallId.get(callId)!, byId.get(callId))) pending.delete(callId);
    }
    w.stack.sampleRss(w.workers);
    const now = Date.now();
    if (pending.size === 0) return { doneAt: now, timedOut: false };
    const failed = new Set(await w.redis.zrange(w.keys.failedCalls, 0, -1));
    if ([...pending].every((id) => failed.has(id))) return { doneAt: now, timedOut: false };
    if (now - w.t0 > w.timeoutSec * 1000) return { doneAt: now, timedOut: true };
    await failIfExited(w.workers);
    await sleep(pollMs);
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function round(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
