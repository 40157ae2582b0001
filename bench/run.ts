import { randomBytes, randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { LIFECYCLE_QUEUE } from "../core/jobs/lifecycle.ts";
import { redisKeys, type RedisKeys } from "../core/redis/keys.ts";
import type { RunningEmulator } from "../emulator/server.ts";
import { generateCalls, type GeneratedCall } from "./callMix.ts";
import { emulatorControl, emulatorState, waitForFullBucket, watchUntilSettled } from "./emulatorPoll.ts";
import { enqueue, storeStates } from "./replay.ts";
import { directoryOf, expectedCrm, type ExpectedCrm } from "./expectations.ts";
import { rateLimitFloorSec, requestsNeeded, workNeeded } from "./floor.ts";
import { writeRecordings } from "./spool.ts";
import type { RecordingServer } from "./recordingServer.ts";
import { seedUsers, waitForWorkers, webhookUrlOf, type BenchStack, type WorkerProcess } from "./stack.ts";
import {
  crmCompletedAt,
  groupByExternalId,
  percentile,
  requestStats,
  verifyCalls,
  type CallProblem,
  type EmulatorCall,
  type RequestStats,
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

/** The request figures come from the emulator's request log (`requestStats`). */
export interface RunResult extends RequestStats {
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

/** What one run holds while it runs; closed by `runBench` whatever happens. */
interface OpenRun {
  stack: BenchStack;
  spec: RunSpec;
  name: string;
  emulator: RunningEmulator;
  redisUrl: string;
  prefix: string;
  redis: Redis;
  keys: RedisKeys;
  recordDelivery: RecordDelivery;
  workers: WorkerProcess[];
  recordingServer?: RecordingServer;
}

export async function runBench(stack: BenchStack, spec: RunSpec): Promise<RunResult> {
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
  const name = `${spec.name}-${randomUUID().slice(0, 6)}`;
  const prefix = `bench-${name}`;
  const redisUrl = await stack.redisUrl();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on("error", () => undefined); // only while stopping on a signal; the run's own calls report failures
  const keys = redisKeys(prefix);
  const queue = new Queue(LIFECYCLE_QUEUE, { connection: redis, prefix });
  queue.on("error", () => undefined);
  const recordDelivery = spec.recordDelivery ?? "upload";
  const run: OpenRun = {
    stack,
    spec,
    name,
    emulator,
    redisUrl,
    prefix,
    redis,
    keys,
    recordDelivery,
    workers: [],
  };
  try {
    const bitrix = await startWorkers(run, calls);
    await storeStates(redis, keys, calls);
    spec.log?.(`${spec.name}: ${spec.calls} calls, ${spec.workers} worker(s), enqueueing`);

    const t0 = Date.now();
    const enqueuedAt = await enqueue(queue, calls, spec.enqueuePerSec ?? 0);
    const watch = await watchUntilSettled({
      stack,
      emulator,
      redis,
      keys,
      expected,
      workers: run.workers,
      t0,
      timeoutSec: runTimeoutSec(spec.timeoutSec, expected, recordDelivery),
    });
    return await measure(run, { expected, t0, enqueuedAt, ...watch, bitrix });
  } finally {
    await stack.stopWorkers(run.workers);
    await queue.close().catch(() => undefined);
    redis.disconnect();
    await stack.closeEmulator(emulator);
    if (run.recordingServer) await stack.closeRecordingServer(run.recordingServer);
  }
}

/**
 * The run's spool (and, in `url` mode, its recording server), the workers' config, the workers
 * themselves; returns once they all run and the portal's bucket is full. Returns the `bitrix` section.
 */
async function startWorkers(run: OpenRun, calls: GeneratedCall[]): Promise<Record<string, unknown>> {
  const { stack, spec, emulator } = run;
  const spoolDir = await stack.spoolDir(run.name);
  await writeRecordings(
    spoolDir,
    calls.flatMap((c) => (c.recordingFile ? [c.recordingFile] : [])),
  );
  const signingKey = randomBytes(24).toString("hex");
  if (run.recordDelivery === "url") run.recordingServer = await stack.recordingServer(spoolDir, signingKey);
  const bitrix: Record<string, unknown> = {
    auth: { type: "webhook", webhookUrl: webhookUrlOf(emulator) },
    plan: "standard",
    ...spec.bitrix,
  };
  const configFile = await stack.writeConfig(run.name, {
    redis: { url: run.redisUrl, prefix: run.prefix },
    bitrix,
    crm: { recordDelivery: run.recordDelivery },
    ...(run.recordingServer ? { http: { publicUrl: run.recordingServer.url, signingKey } } : {}),
    recording: { enabled: true, format: "wav", spoolDir },
    log: { level: "warn" },
  });
  run.workers = stack.startWorkers(run.name, spec.workers, configFile);
  await waitForWorkers(run.redis, run.keys, run.workers);
  await waitForFullBucket(emulator);
  if (spec.latencyMs) await emulatorControl(emulator, "faults", { latencyMs: spec.latencyMs });
  return bitrix;
}

interface Watched {
  expected: ExpectedCrm[];
  /** First job enqueued. */
  t0: number;
  enqueuedAt: Map<string, number>;
  doneAt: number;
  timedOut: boolean;
  bitrix: Record<string, unknown>;
}

/** The full verification, the request log and the workers' peak memory; stops the workers. */
async function measure(run: OpenRun, w: Watched): Promise<RunResult> {
  const { stack, spec, workers, expected, t0 } = { ...run, ...w };
  const final = await emulatorState(run.emulator);
  const requests = final.requests.filter((r) => r.at >= t0);
  await stack.writeRunFile(run.name, "emulator-requests.json", requests);
  const verification = verifyCalls(expected, final.calls);
  const byId = groupByExternalId(final.calls);
  const lastWrite = Math.max(t0, ...expected.map((e) => crmCompletedAt(byId.get(e.callId)) ?? t0));
  const delays = finishDelaysSec(expected, byId, w.enqueuedAt);
  const needed = requestsNeeded(workNeeded(expected, run.recordDelivery));
  stack.sampleRss(workers);
  const failedCalls = await run.redis.zcard(run.keys.failedCalls);
  await stack.stopWorkers(workers);
  const rss = workers.map((worker) => worker.peakRssKb / 1024);
  return {
    name: spec.name,
    recordDelivery: run.recordDelivery,
    calls: spec.calls,
    workers: spec.workers,
    parallelBatches: Number(w.bitrix.parallelBatches ?? 4),
    seconds: round((w.doneAt - t0) / 1000, 2),
    crmSeconds: round((lastWrite - t0) / 1000, 2),
    verified: verification.verified,
    missing: verification.missing,
    duplicates: verification.duplicates,
    wrong: verification.wrong,
    failedCalls,
    timedOut: w.timedOut,
    ...requestStats(requests),
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
}

/**
 * A run may take as long as the rate limit's floor demands, plus a margin: with every answered call
 * recorded and uploaded, 1000 calls need more requests than 5 minutes of the standard plan carry.
 */
export function runTimeoutSec(
  timeoutSec: number,
  expected: readonly ExpectedCrm[],
  recordDelivery: RecordDelivery,
): number {
  const floor = rateLimitFloorSec(requestsNeeded(workNeeded(expected, recordDelivery)));
  return Math.max(timeoutSec, Math.ceil(floor * 1.5 + 120));
}

/** finish in the CRM − job enqueued, seconds, of every finished call. */
function finishDelaysSec(
  expected: readonly ExpectedCrm[],
  byId: Map<string, EmulatorCall[]>,
  enqueuedAt: Map<string, number>,
): number[] {
  return expected.flatMap((e) => {
    const finishedAt = byId.get(e.callId)?.[0]?.finish?.finishedAt;
    return finishedAt === undefined ? [] : [(finishedAt - enqueuedAt.get(e.callId)!) / 1000];
  });
}

function round(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
