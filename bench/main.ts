import { parseArgs } from "node:util";
import { allRuns, jsonLine, renderReport, type BenchReport } from "./report.ts";
import { runBench, type RecordDelivery, type RunResult, type RunSpec } from "./run.ts";
import { BenchStack } from "./stack.ts";

/**
 * `npm run bench -- --calls 10,100,1000 [--json]`: replays generated calls into the workers against
 * the Bitrix24 emulator (standard plan) and compares with the original connector's published figures.
 * Progress goes to stderr; the table to stdout; with --json the last stdout line is the JSON summary.
 * Exit code 1 when any call is missing or duplicated, a run timed out before every call was complete
 * in the CRM, or a run failed.
 */

const USAGE = `usage: npm run bench -- [options]
  --calls 10,100,1000       call counts of the throughput runs
  --json                    print the JSON summary as the last line
  --no-slow                 skip the slow-portal run (parallel vs sequential batches)
  --slow-calls N            calls of the slow-portal run (200)
  --slow-latency-ms N       extra latency per request in the slow-portal run (2500)
  --slow-parallel N         bitrix.parallelBatches of the parallel side (8)
  --no-workers              skip the 1-vs-4 worker processes run
  --workers-calls N         calls of the worker-processes run (2000: more requests than the burst)
  --processes N             worker processes of the throughput runs (1)
  --parallel N              bitrix.parallelBatches of the throughput runs (the config default)
  --recordings SHARE        share of answered calls with a recording (1: every answered call is
                            recorded, as call centres do)
  --no-recordings           no recordings at all
  --record-delivery MODE    crm.recordDelivery of the throughput runs: upload (multipart upload, one
                            request per file), url (attachRecord RECORD_URL in the batch; the bench
                            serves the spool by signed link, as the app's HTTP API does) or both,
                            side by side (both)
  --workers-mode MODE       crm.recordDelivery of the 1-vs-4 worker processes run (url)
  --command-cost-ms N       the emulator's server time per command (20)
  --seed N                  call mix seed (42)
  --timeout-sec N           give up on a run after this long (300)
  --keep                    keep the run directory (configs, worker logs, spool)`;

interface Options {
  calls: number[];
  json: boolean;
  slow: boolean;
  slowCalls: number;
  slowLatencyMs: number;
  slowParallel: number;
  workersRun: boolean;
  workersCalls: number;
  processes: number;
  parallel: number | undefined;
  recordingShare: number;
  recordDelivery: RecordDelivery[];
  workersMode: RecordDelivery;
  commandCostMs: number;
  seed: number;
  timeoutSec: number;
  keep: boolean;
}

function positive(name: string, raw: string | undefined, fallback: number, allowZero = false): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0))
    throw new Error(`--${name}: not a valid number: ${raw}`);
  return value;
}

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      calls: { type: "string" },
      json: { type: "boolean" },
      "no-slow": { type: "boolean" },
      "slow-calls": { type: "string" },
      "slow-latency-ms": { type: "string" },
      "slow-parallel": { type: "string" },
      "no-workers": { type: "boolean" },
      "workers-calls": { type: "string" },
      processes: { type: "string" },
      parallel: { type: "string" },
      recordings: { type: "string" },
      "no-recordings": { type: "boolean" },
      "record-delivery": { type: "string" },
      "workers-mode": { type: "string" },
      "command-cost-ms": { type: "string" },
      seed: { type: "string" },
      "timeout-sec": { type: "string" },
      keep: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const calls = (values.calls ?? "10,100,1000").split(",").map((c) => positive("calls", c.trim(), 0));
  const share = values["no-recordings"] ? 0 : positive("recordings", values.recordings, 1, true);
  if (share > 1) throw new Error("--recordings: a share between 0 and 1");
  const modeOf = (name: string, raw: string): RecordDelivery => {
    if (raw !== "upload" && raw !== "url") throw new Error(`--${name}: upload or url, not ${raw}`);
    return raw;
  };
  const delivery = values["record-delivery"] ?? "both";
  const recordDelivery =
    delivery === "both" ? (["upload", "url"] as RecordDelivery[]) : [modeOf("record-delivery", delivery)];
  const workersMode = modeOf("workers-mode", values["workers-mode"] ?? "url");
  return {
    calls,
    json: values.json ?? false,
    slow: !values["no-slow"],
    slowCalls: positive("slow-calls", values["slow-calls"], 200),
    slowLatencyMs: positive("slow-latency-ms", values["slow-latency-ms"], 2500),
    slowParallel: positive("slow-parallel", values["slow-parallel"], 8),
    workersRun: !values["no-workers"],
    workersCalls: positive("workers-calls", values["workers-calls"], 2000),
    processes: positive("processes", values.processes, 1),
    parallel: values.parallel === undefined ? undefined : positive("parallel", values.parallel, 4),
    recordingShare: share,
    recordDelivery,
    workersMode,
    commandCostMs: positive("command-cost-ms", values["command-cost-ms"], 20, true),
    seed: positive("seed", values.seed, 42, true),
    timeoutSec: positive("timeout-sec", values["timeout-sec"], 300),
    keep: values.keep ?? false,
  };
}

async function runAll(stack: BenchStack, o: Options): Promise<BenchReport> {
  const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const base = {
    seed: o.seed,
    recordingShare: o.recordingShare,
    commandCostMs: o.commandCostMs,
    timeoutSec: o.timeoutSec,
    log: progress,
  };
  const run = async (spec: Omit<RunSpec, keyof typeof base>): Promise<RunResult> => {
    const result = await runBench(stack, { ...base, ...spec });
    progress(
      `${spec.name}: ${result.verified}/${result.calls} verified in ${result.seconds} s ` +
        `(floor ${result.floorSeconds} s), ${result.requests} requests, ${result.status503} × 503, ` +
        `end-to-CRM p95 ${result.delayP95Sec} s`,
    );
    return result;
  };
  const throughput = o.parallel === undefined ? {} : { parallelBatches: o.parallel };
  const report: BenchReport = { results: [] };
  for (const calls of o.calls) {
    for (const recordDelivery of o.recordDelivery) {
      report.results.push(
        await run({
          name: `calls-${calls}-${recordDelivery}`,
          calls,
          workers: o.processes,
          recordDelivery,
          bitrix: throughput,
        }),
      );
    }
  }
  if (o.slow) {
    const slow = {
      calls: o.slowCalls,
      workers: 1,
      latencyMs: o.slowLatencyMs,
      recordDelivery: o.recordDelivery[0],
    };
    const parallel = await run({
      ...slow,
      name: "slow-parallel",
      bitrix: { parallelBatches: o.slowParallel },
    });
    const sequential = await run({ ...slow, name: "slow-sequential", bitrix: { parallelBatches: 1 } });
    report.slowPortal = { calls: o.slowCalls, latencyMs: o.slowLatencyMs, parallel, sequential };
  }
  if (o.workersRun) {
    const workers = { calls: o.workersCalls, recordDelivery: o.workersMode, bitrix: throughput };
    const one = await run({ ...workers, name: "workers-1", workers: 1 });
    const four = await run({ ...workers, name: "workers-4", workers: 4 });
    report.workers = { calls: o.workersCalls, one, four };
  }
  return report;
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const stack = await BenchStack.create();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`bench: ${signal}, stopping everything\n`);
    void stack
      .stopAll()
      .then(() => (options.keep ? undefined : stack.removeRunDir()))
      .finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const report = await runAll(stack, options);
    if (interrupted) return 130;
    process.stdout.write(`${renderReport(report)}\n`);
    if (options.json) process.stdout.write(`${jsonLine(report)}\n`);
    const broken = allRuns(report).filter((r) => r.missing > 0 || r.duplicates > 0 || r.timedOut);
    return broken.length > 0 ? 1 : 0;
  } catch (err) {
    if (interrupted) return 130;
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  } finally {
    await stack.stopAll();
    if (options.keep) process.stderr.write(`bench: run directory kept: ${stack.runDir}\n`);
    else await stack.removeRunDir();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${String(err)}\n`);
    process.exit(1);
  },
);
