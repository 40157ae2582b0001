import { readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AriObserver } from "./ariObserver.ts";
import { ATTENDED, PHONES, userIdOf } from "./callCentre.ts";
import { checkCalls, type CheckSummary, type CrmCall, type ObservedCall, type Verdict } from "./check.ts";
import { soakMix, type SoakCall } from "./mix.ts";
import { legsByNumber, observeCall, type PlacedCall } from "./observe.ts";
import { SoakPhones } from "./phones.ts";
import { loadCallRecords, stages, type StageFigure } from "./profile.ts";
import { fullState, PortalWatch, queueIdle, requestFigures } from "./portal.ts";
import { ProcessProbe, type ProcessFigures } from "./processProbe.ts";
import { idleCommandsPerSec, redisGrowth, redisSnapshot, type RedisGrowth } from "./redisFigures.ts";
import { SOAK_REDIS_PREFIX, type RecordDelivery } from "./setup.ts";
import { hasLinphone, SoftPhone } from "./softPhone.ts";
import { startSoakStack, type SoakStack } from "./stack.ts";

/**
 * One soak run: the stack, the phones, N calls/s for M minutes through the real Asterisk, then the
 * wait for the CRM, the check against the phones' truth and the figures (soak/README.md).
 */

export interface SoakOptions {
  cps: number;
  minutes: number;
  /** Overrides cps × minutes (the integration test places a handful). */
  calls?: number;
  seed: number;
  workers: number;
  httpPort: number;
  emulatorPort: number;
  recordDelivery: RecordDelivery;
  /** Attended transfers by linphonec (every `attendedEvery`-th call), when it is installed. */
  attended: boolean;
  attendedEvery: number;
  settleTimeoutSec: number;
  keepRecordings: boolean;
  repo: string;
  runDir: string;
  log: (line: string) => void;
}

export interface SoakResult {
  cps: number;
  minutes: number;
  /** Set when the run placed a fixed number of calls (--calls). */
  calls?: number;
  workers: number;
  recordDelivery: RecordDelivery;
  /** Calls per second actually started (the pacing falls behind on a busy machine). */
  achievedCps: number;
  /** From the first call to the CRM being complete, s. */
  windowSec: number;
  /** From the last caller's hang-up until the CRM was complete (or the wait gave up), s. */
  settleSec: number;
  settled: boolean;
  summary: CheckSummary;
  scenarios: Record<string, { calls: number; problems: number }>;
  attended: { placed: number; skipped: number; failed: number; note?: string };
  processes: ProcessFigures[];
  redis: RedisGrowth;
  /** Redis commands per second with the stack running and no call. */
  redisIdleCommandsPerSec: number;
  portal: ReturnType<typeof requestFigures>;
  /** Where the time goes, stage by stage (soak/profile.ts). */
  stages: StageFigure[];
  /** ARI events the observer saw (0 would mean every call looked "never bridged"). */
  observerEvents: number;
  /** Problems of the first calls that had one (for the reader; all are in the run dir). */
  problemLines: string[];
  /** Processes that died during the run, and operator phones that did. */
  died: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const useSoftPhone = o.attended && hasLinphone;
  // linphonec takes two seconds to start: meanwhile the stack starts.
  const starting = useSoftPhone ? SoftPhone.start(ATTENDED.extension) : Promise.resolve(undefined);
  const stack = await startSoakStack(o).catch(async (err: unknown) => {
    await (await starting)?.stop();
    throw err;
  });
  const softPhone = await starting;
  const phones = new SoakPhones(stack.testbed.asterisk.root, stack.testbed.sip);
  const observer = new AriObserver(stack.testbed.ari);
  // Ctrl-C: the app, workers and emulator run in process groups of their own; take them along.
  const killAll = () => stack.processes.killAllNow();
  process.once("exit", killAll);
  const spool = stack.testbed.asterisk.recordingDir;
  const spoolBefore = new Set(listFiles(spool));
  const startedAt = Date.now();
  try {
    await phones.startOperators();
    const attendedNote = o.attended && !hasLinphone ? "linphonec is not installed" : undefined;
    o.log(
      `operator phones: ${Object.keys(PHONES).length} extensions in ${phones.phonePids().length} sipp processes${softPhone ? " + linphonec" : ""}`,
    );
    await observer.start();
    // Redis is busy even without calls (BullMQ's polling, heartbeats, the sweeper): measure that first.
    const idle = await idleCommandsPerSec(stack.redis);
    const before = await redisSnapshot(stack.redis, SOAK_REDIS_PREFIX);
    const probe = new ProcessProbe(watchedProcesses(stack, phones, softPhone));
    probe.start();
    const t0 = Date.now();
    const placing = await placeCalls(o, phones, softPhone, stack);
    const lastHangup = Date.now();
    const settled = await waitForCrm(o, stack, placing.placed);
    const processes = probe.stop();
    const windowSec = (Date.now() - t0) / 1000;
    const after = await redisSnapshot(stack.redis, SOAK_REDIS_PREFIX);
    const state = await fullState(stack.portalUrl);
    const legs = legsByNumber(phones.operatorEvents());
    const observed = placing.placed.map((p) => observeCall(p, legs, observer.bridged()));
    const { verdicts, summary } = checkCalls(observed, state.calls, userIdOf);
    const callIds = state.calls.flatMap((c) => (c.EXTERNAL_CALL_ID ? [c.EXTERNAL_CALL_ID] : []));
    const records = await loadCallRecords(stack.redis, SOAK_REDIS_PREFIX, callIds);
    writeFileSync(join(o.runDir, "calls.json"), callsJson(placing.placed, observed, verdicts, state.calls));
    return {
      cps: o.cps,
      minutes: o.minutes,
      ...(o.calls === undefined ? {} : { calls: o.calls }),
      workers: o.workers,
      recordDelivery: o.recordDelivery,
      achievedCps: placing.placed.length / Math.max(0.001, placing.startSpanSec),
      windowSec,
      settleSec: (Date.now() - lastHangup) / 1000,
      settled,
      summary,
      scenarios: byScenario(placing.placed, verdicts),
      attended: { ...placing.attended, ...(attendedNote ? { note: attendedNote } : {}) },
      processes,
      redis: redisGrowth(before, after, placing.placed.length, idle * windowSec),
      redisIdleCommandsPerSec: Math.round(idle),
      portal: requestFigures(state.requests, t0, lastHangup),
      stages: stages(observed, state.calls, records, userIdOf),
      observerEvents: observer.events,
      problemLines: problemLines(placing.placed, verdicts),
      died: [...stack.processes.exited().map((d) => `${d.name} (exit ${d.code})`), ...phones.deadPhones()],
    };
  } finally {
    observer.stop();
    await phones.stop().catch(() => undefined);
    await softPhone?.stop().catch(() => undefined);
    await stack.stop().catch(() => undefined);
    process.off("exit", killAll);
    if (!o.keepRecordings) removeNewFiles(spool, spoolBefore, startedAt);
  }
}

function watchedProcesses(stack: SoakStack, phones: SoakPhones, softPhone?: SoftPhone) {
  const pid = (p: number | undefined) => (p === undefined ? [] : [p]);
  return [
    { name: "app", pids: () => [stack.pids.app] },
    ...stack.pids.workers.map((w, i) => ({ name: `worker ${i + 1}`, pids: () => [w] })),
    { name: "emulator", pids: () => [stack.pids.emulator] },
    { name: "asterisk", pids: () => pid(stack.pids.asterisk) },
    { name: "redis", pids: () => pid(stack.pids.redis) },
    { name: "sipp", pids: () => phones.phonePids(), reapedPids: () => phones.callerPids() },
    ...(softPhone ? [{ name: "linphonec", pids: () => pid(softPhone.pid) }] : []),
    { name: "soak harness", pids: () => [process.pid] },
  ];
}

interface Placing {
  placed: PlacedCall[];
  startSpanSec: number;
  attended: { placed: number; skipped: number; failed: number };
}

/** Starts calls on a fixed schedule (cps) and resolves when every caller has hung up. */
async function placeCalls(
  o: SoakOptions,
  phones: SoakPhones,
  softPhone: SoftPhone | undefined,
  stack: SoakStack,
): Promise<Placing> {
  const total = o.calls ?? Math.round(o.cps * o.minutes * 60);
  const attendedEvery = softPhone ? o.attendedEvery : 0;
  const mix = soakMix({ seed: o.seed, attendedEvery })[Symbol.iterator]();
  const placed: PlacedCall[] = [];
  const running: Promise<void>[] = [];
  const attended = { placed: 0, skipped: 0, failed: 0 };
  let softPhoneBusy = false;
  const t0 = Date.now();
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / o.cps - Date.now();
    if (wait > 0) await sleep(wait);
    let call = mix.next().value as SoakCall;
    if (call.scenario === "attendedTransfer" && softPhoneBusy) {
      attended.skipped++;
      call = { ...call, scenario: "salesRingall", did: "74957000001" };
    }
    const record: PlacedCall = { call, callerEvents: [] };
    placed.push(record);
    if (call.scenario === "attendedTransfer" && softPhone) {
      attended.placed++;
      softPhoneBusy = true;
      running.push(
        placeAttended(record, phones, softPhone, stack).finally(() => {
          softPhoneBusy = false;
          if (record.error !== undefined) attended.failed++;
        }),
      );
    } else running.push(placeOne(record, phones));
    if (i > 0 && i % Math.max(1, Math.round(o.cps * 60)) === 0) o.log(`${i} calls placed…`);
  }
  const startSpanSec = total > 1 ? ((Date.now() - t0) / 1000) * (total / (total - 1)) : 1;
  await Promise.all(running);
  return { placed, startSpanSec, attended };
}

async function placeOne(record: PlacedCall, phones: SoakPhones): Promise<void> {
  const run = await phones.place(record.call);
  record.callerEvents = run.events;
  if (run.error !== undefined) record.error = run.error;
}

async function placeAttended(record: PlacedCall, phones: SoakPhones, soft: SoftPhone, stack: SoakStack) {
  const operator = soft
    .attendedTransfer(record.call.clientNumber, ATTENDED.consultExtension, stack.testbed.sip, {
      talkMs: 3000,
      consultMs: 2000,
      timeoutMs: 20_000,
    })
    .then((times) => (record.attended = times))
    .catch((err: Error) => {
      record.error = `attended transfer: ${err.message}\n${soft.tail(8)}`;
    });
  await Promise.all([placeOne(record, phones), operator]);
}

/**
 * Waits until every placed call is finished in the CRM, then until the queue is idle (a job still
 * queued could register a second CRM call) and a little longer, or until the timeout.
 */
async function waitForCrm(o: SoakOptions, stack: SoakStack, placed: PlacedCall[]): Promise<boolean> {
  const watch = new PortalWatch(stack.portalUrl);
  const deadline = Date.now() + o.settleTimeoutSec * 1000;
  const wanted = placed.filter((p) => p.error === undefined).map((p) => p.call.clientNumber.slice(-10));
  for (;;) {
    const calls = await watch.poll().catch(() => []);
    const finished = new Set(
      calls.filter((c) => c.finish).map((c) => String(c.PHONE_NUMBER).replace(/\D/g, "").slice(-10)),
    );
    const pending = wanted.filter((n) => !finished.has(n)).length;
    if (pending === 0 && (await queueIdle(stack.statusUrl))) break;
    if (Date.now() > deadline) {
      o.log(`gave up waiting for the CRM: ${pending} calls not finished there`);
      return false;
    }
    await sleep(1000);
  }
  await sleep(3000);
  return true;
}

function byScenario(placed: PlacedCall[], verdicts: Verdict[]) {
  const out: Record<string, { calls: number; problems: number }> = {};
  placed.forEach((p, i) => {
    const s = (out[p.call.scenario] ??= { calls: 0, problems: 0 });
    s.calls++;
    if (verdicts[i]!.problems.length > 0) s.problems++;
  });
  return out;
}

function problemLines(placed: PlacedCall[], verdicts: Verdict[], max = 30): string[] {
  return verdicts
    .map((v, i) => ({ v, p: placed[i]! }))
    .filter(({ v }) => v.problems.length > 0)
    .slice(0, max)
    .map(
      ({ v, p }) =>
        `#${v.seq} ${p.call.scenario} ${p.call.clientNumber}: ${v.problems.map((x) => `${x.kind}: ${x.detail}`).join("; ")}`,
    );
}

/** Every call with its truth, its CRM record and its verdict, for reading a run afterwards. */
function callsJson(
  placed: PlacedCall[],
  observed: ObservedCall[],
  verdicts: Verdict[],
  crm: CrmCall[],
): string {
  const byPhone = new Map<string, CrmCall[]>();
  for (const c of crm) {
    const key = String(c.PHONE_NUMBER).replace(/\D/g, "").slice(-10);
    byPhone.set(key, [...(byPhone.get(key) ?? []), c]);
  }
  const rows = placed.map((p, i) => ({
    call: p.call,
    attended: p.attended,
    truth: observed[i],
    crm: byPhone.get(p.call.clientNumber.slice(-10)) ?? [],
    verdict: verdicts[i],
  }));
  return JSON.stringify(rows, null, 1);
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: "utf8" }).map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** The recordings this run made (hundreds of MB in a long run); older files are never touched. */
function removeNewFiles(dir: string, before: Set<string>, since: number): void {
  for (const file of listFiles(dir)) {
    if (before.has(file)) continue;
    try {
      const st = statSync(file);
      if (st.isFile() && st.mtimeMs >= since) rmSync(file, { force: true });
    } catch {
      /* gone already */
    }
  }
}
