import type { RunResult } from "./run.ts";

/** The benchmark's output: tables for people, one JSON line for machines. PURE (strings out). */

/** The original connector's published figures (MISSION.md §13), seconds: old version → new version. */
export const PUBLISHED: Record<number, { oldSec: number; newSec: number }> = {
  10: { oldSec: 18.7, newSec: 5.4 },
  100: { oldSec: 323, newSec: 48 },
  1000: { oldSec: 2513, newSec: 339 },
};

export const TARGET = { calls: 1000, seconds: 30 };

export interface SlowPortalReport {
  calls: number;
  latencyMs: number;
  parallel: RunResult;
  sequential: RunResult;
}

export interface WorkersReport {
  calls: number;
  one: RunResult;
  four: RunResult;
}

export interface BenchReport {
  results: RunResult[];
  slowPortal?: SlowPortalReport;
  workers?: WorkersReport;
}

/** `18.7 s`, `5 min 23 s`. */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return "—";
  if (sec < 60) return `${sec.toFixed(1)} s`;
  const whole = Math.round(sec);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  const rule = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

function published(calls: number): string {
  const p = PUBLISHED[calls];
  return p ? `${formatDuration(p.oldSec)} → ${formatDuration(p.newSec)}` : "—";
}

export function resultsTable(results: readonly RunResult[]): string {
  const header = [
    "calls",
    "seconds",
    "original old → new",
    "floor",
    "requests",
    "commands",
    "recordings",
    "verified",
    "duplicates",
    "503s",
    "peak RSS MB",
  ];
  const rows = results.map((r) => [
    String(r.calls),
    `${r.seconds.toFixed(1)}${r.timedOut ? " (timeout)" : ""}`,
    published(r.calls),
    `${r.floorSeconds.toFixed(1)} s`,
    String(r.requests),
    String(r.commands),
    `${r.recordings} by ${r.recordDelivery}`,
    `${r.verified}/${r.calls}`,
    String(r.duplicates),
    String(r.status503),
    r.peakRssMb.toFixed(0),
  ]);
  return table(header, rows);
}

/**
 * The target for the 1000-call runs, per recording mode; undefined when no run has 1000 calls. With
 * every answered call recorded, uploads cost one request each: the upload run cannot beat its floor,
 * so the verdict names the mode and the floor.
 */
export function targetVerdict(results: readonly RunResult[]): string | undefined {
  const runs = results.filter((r) => r.calls === TARGET.calls);
  if (runs.length === 0) return undefined;
  return runs
    .map((run) => {
      const met = run.verified === run.calls && run.seconds <= TARGET.seconds && run.status503 === 0;
      const why =
        `${run.verified}/${run.calls} verified in ${run.seconds.toFixed(1)} s ` +
        `(floor ${run.floorSeconds.toFixed(1)} s), ${run.status503} × 503`;
      return `target ${TARGET.calls} calls fully in the CRM in ≤ ${TARGET.seconds} s, no 503, recordings by ${run.recordDelivery}: ${met ? "MET" : "MISSED"} (${why})`;
    })
    .join("\n");
}

/**
 * Recordings by upload and by signed link side by side, per call count: an upload is one request of
 * its own against the portal's 2 requests/s, a signed link is one more command in a batch of 50.
 */
export function modesTable(results: readonly RunResult[]): string | undefined {
  const counts = [...new Set(results.map((r) => r.calls))];
  const pairs = counts
    .map((calls) => ({
      calls,
      upload: results.find((r) => r.calls === calls && r.recordDelivery === "upload"),
      url: results.find((r) => r.calls === calls && r.recordDelivery === "url"),
    }))
    .filter((p) => p.upload && p.url);
  if (pairs.length === 0) return undefined;
  const cell = (r: RunResult) => [
    `${r.seconds.toFixed(1)}${r.timedOut ? " (timeout)" : ""}`,
    `${r.floorSeconds.toFixed(1)} s`,
    String(r.requests),
    `${r.verified}/${r.calls}`,
    String(r.status503),
  ];
  const header = [
    "calls",
    "recordings",
    "original old → new",
    "upload: seconds",
    "floor",
    "requests",
    "verified",
    "503s",
    "signed link: seconds",
    "floor",
    "requests",
    "verified",
    "503s",
  ];
  const rows = pairs.map(({ calls, upload, url }) => [
    String(calls),
    String(upload!.recordings),
    published(calls),
    ...cell(upload!),
    ...cell(url!),
  ]);
  return table(header, rows);
}

export function slowPortalTable(slow: SlowPortalReport): string {
  const header = [
    "queue",
    "calls",
    "seconds",
    "end-to-CRM p50",
    "p95",
    "max",
    "requests",
    "verified",
    "503s",
  ];
  const row = (label: string, r: RunResult) => [
    label,
    String(r.calls),
    r.seconds.toFixed(1),
    `${r.delayP50Sec.toFixed(1)} s`,
    `${r.delayP95Sec.toFixed(1)} s`,
    `${r.delayMaxSec.toFixed(1)} s`,
    String(r.requests),
    `${r.verified}/${r.calls}`,
    String(r.status503),
  ];
  return table(header, [
    row(`parallel (${slow.parallel.parallelBatches} batches)`, slow.parallel),
    row("sequential (1 batch)", slow.sequential),
  ]);
}

export function workersTable(w: WorkersReport): string {
  const header = [
    "worker processes",
    "calls",
    "seconds",
    "requests",
    "floor",
    "verified",
    "duplicates",
    "503s",
    "peak RSS MB (each / sum)",
  ];
  const row = (r: RunResult) => [
    String(r.workers),
    String(r.calls),
    `${r.seconds.toFixed(1)}${r.timedOut ? " (timeout)" : ""}`,
    String(r.requests),
    `${r.floorSeconds.toFixed(1)} s`,
    `${r.verified}/${r.calls}`,
    String(r.duplicates),
    String(r.status503),
    `${r.peakRssMb.toFixed(0)} / ${r.peakRssTotalMb.toFixed(0)}`,
  ];
  return table(header, [row(w.one), row(w.four)]);
}

/** Problems worth a look, a few per run. */
export function problemLines(runs: readonly RunResult[]): string[] {
  return runs.flatMap((r) =>
    r.problems.slice(0, 5).map((p) => `  ${r.name}: ${p.callId} ${p.kind}: ${p.detail}`),
  );
}

export function renderReport(report: BenchReport): string {
  const parts = [`Throughput (standard plan: burst 50, 2 requests/s)`];
  const modes = modesTable(report.results);
  if (modes) parts.push("Recordings uploaded vs handed over by signed link", modes, "", "Every run");
  parts.push(resultsTable(report.results));
  const verdict = targetVerdict(report.results);
  if (verdict) parts.push(verdict);
  if (report.slowPortal) {
    parts.push(
      "",
      `Slow portal (${report.slowPortal.latencyMs} ms extra per request)`,
      slowPortalTable(report.slowPortal),
    );
  }
  if (report.workers) {
    parts.push(
      "",
      `Worker processes sharing one command queue and one limiter (recordings by ${report.workers.one.recordDelivery})`,
      workersTable(report.workers),
    );
  }
  const runs = [...report.results, ...slowRuns(report), ...workerRuns(report)];
  const problems = problemLines(runs);
  if (problems.length > 0) parts.push("", "Problems and refusals:", ...problems);
  return parts.join("\n");
}

function slowRuns(report: BenchReport): RunResult[] {
  return report.slowPortal ? [report.slowPortal.parallel, report.slowPortal.sequential] : [];
}

function workerRuns(report: BenchReport): RunResult[] {
  return report.workers ? [report.workers.one, report.workers.four] : [];
}

/** Every run of the report. */
export function allRuns(report: BenchReport): RunResult[] {
  return [...report.results, ...slowRuns(report), ...workerRuns(report)];
}

/** The `--json` line: the fields first, the rest after; problems stay in the table. */
export function jsonLine(report: BenchReport): string {
  const slim = ({ problems: _problems, ...rest }: RunResult) => rest;
  const out: Record<string, unknown> = { results: report.results.map(slim) };
  if (report.slowPortal) {
    const { parallel, sequential, ...rest } = report.slowPortal;
    out.slowPortal = { ...rest, parallel: slim(parallel), sequential: slim(sequential) };
  }
  if (report.workers) {
    const { one, four, ...rest } = report.workers;
    out.workers = { ...rest, one: slim(one), four: slim(four) };
  }
  return JSON.stringify(out);
}
