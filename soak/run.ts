import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AriObserver } from "./ariObserver.ts";
import { ATTENDED, PHONES, userIdOf } from "./callCentre.ts";
import { checkCalls, type CheckSummary } from "./check.ts";
import { legsByNumber, observeCall } from "./observe.ts";
import { SoakPhones } from "./phones.ts";
import { placeCalls } from "./placing.ts";
import { loadCallRecords, stages, type StageFigure } from "./profile.ts";
import { fullState, requestFigures } from "./portal.ts";
import { ProcessProbe, type ProcessFigures } from "./processProbe.ts";
import { idleCommandsPerSec, redisGrowth, redisSnapshot, type RedisGrowth } from "./redisFigures.ts";
import { SOAK_REDIS_PREFIX, type RecordDelivery } from "./setup.ts";
import { hasLinphone, SoftPhone } from "./softPhone.ts";
import { byScenario, callsJson, problemLines } from "./runOutput.ts";
import { waitForCrm } from "./settle.ts";
import { listFiles, removeNewFiles } from "./spool.ts";
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
    const total = o.calls ?? Math.round(o.cps * o.minutes * 60);
    const placing = await placeCalls({ ...o, total }, phones, softPhone, stack.testbed.sip);
    const lastHangup = Date.now();
    const settle = {
      portalUrl: stack.portalUrl,
      statusUrl: stack.statusUrl,
      timeoutSec: o.settleTimeoutSec,
      log: o.log,
    };
    const settled = await waitForCrm(settle, placing.placed);
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
