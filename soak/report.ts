import type { SoakResult } from "./run.ts";

/** The soak's output: tables for people, one JSON line for machines. Pure (strings out). */

/** The issue's targets: 2 calls/s for 10 minutes on a 2-core machine. */
export const TARGETS = {
  cps: 2,
  minutes: 10,
  lost: 0,
  doubled: 0,
  p95HangupToCrmMs: 2000,
  p95CardMs: 1000,
} as const;

export interface TargetCheck {
  /** The run was at least as long and as fast as the target's conditions. */
  atTargetLoad: boolean;
  lost: boolean;
  doubled: boolean;
  wrong: boolean;
  recordings: boolean;
  hangupToCrm: boolean;
  card: boolean;
}

export function targetCheck(r: SoakResult): TargetCheck {
  const s = r.summary;
  return {
    atTargetLoad:
      r.summary.placed >= TARGETS.cps * TARGETS.minutes * 60 && r.achievedCps >= TARGETS.cps * 0.98,
    lost: s.lost === TARGETS.lost,
    doubled: s.doubled === TARGETS.doubled,
    wrong: s.wrong === 0,
    recordings: s.noRecording === 0,
    hangupToCrm: s.hangupToCrmMs.p95 !== null && s.hangupToCrmMs.p95 <= TARGETS.p95HangupToCrmMs,
    card: s.cardMs.p95 !== null && s.cardMs.p95 <= TARGETS.p95CardMs,
  };
}

/** No call lost, doubled, wrong or unrecorded, and nothing the harness could not place. */
export function correct(r: SoakResult): boolean {
  const s = r.summary;
  const clean = s.notPlaced === 0 && s.lost + s.doubled + s.wrong + s.noRecording === 0;
  return clean && r.died.length === 0 && r.observerEvents > 0;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  const rule = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

const sec = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(2)} s`);
const mark = (ok: boolean) => (ok ? "ok" : "MISSED");

export function summaryTable(r: SoakResult): string {
  const s = r.summary;
  const t = targetCheck(r);
  const h = s.hangupToCrmMs;
  const p = r.portal;
  const rows: string[][] = [
    ["calls placed", `${s.placed} (${r.achievedCps.toFixed(2)}/s achieved)`, `${TARGETS.cps}/s × ${TARGETS.minutes} min`, t.atTargetLoad ? "at target load" : "shorter/slower than the target"],
    ["in the CRM", `${s.inCrm}`, "all", mark(s.inCrm === s.placed - s.notPlaced)],
    ["lost", `${s.lost}`, "0", mark(t.lost)],
    ["doubled", `${s.doubled}`, "0", mark(t.doubled)],
    ["wrong user / status / duration", `${s.wrong} (${s.wrongUser} / ${s.wrongStatus} / ${s.wrongDuration})`, "0", mark(t.wrong)],
    ["answered calls with a recording", `${s.recorded} / ${s.answered}`, "all", mark(t.recordings)],
    ["hang-up → CRM finish p50 / p95 / p99", `${sec(h.p50)} / ${sec(h.p95)} / ${sec(h.p99)} (max ${sec(h.max)})`, "p95 ≤ 2 s", mark(t.hangupToCrm)],
    ["first ring → card p50 / p95", `${sec(s.cardMs.p50)} / ${sec(s.cardMs.p95)} (max ${sec(s.cardMs.max)}, ${s.cardMs.samples} cards)`, "p95 ≤ 1 s", mark(t.card)],
    ["CRM users rung without a card", `${s.ringsWithoutCard}`, "", ""],
    ["blind transfers whose target never rang", `${s.transfersNotRung}`, "0", mark(s.transfersNotRung === 0)],
    ["not placed (harness)", `${s.notPlaced}`, "0", mark(s.notPlaced === 0)],
    ["CRM calls of no placed call", `${s.unexpected}`, "", ""],
    ["portal requests", `${p.total}: ${p.batches} batches (${p.commandsInBatches} commands), ${p.uploads} uploads, ${p.other} other; ${p.refused503} refused 503`, "", ""],
    ["portal requests per second while calling", `${p.perSecondWhilePlacing.toFixed(2)} (${(p.commandsInBatches / Math.max(1, p.batches)).toFixed(1)} commands per batch; request p95 ${sec(p.p95RequestMs)})`, "plan drains 2/s", ""],
    ["Redis memory per 1000 calls", r.redis.mbPer1000Calls === null ? "—" : `${r.redis.mbPer1000Calls.toFixed(2)} MB`, "", ""],
    ["CRM complete after the last hang-up", `${r.settleSec.toFixed(1)} s${r.settled ? "" : " (gave up waiting)"}`, "", ""],
  ]; // prettier-ignore
  return table(["figure", "measured", "target", ""], rows);
}

/** Key kinds that grew by at least half a key per call (the rest are fixed costs), and their size. */
export function keysLine(r: SoakResult): string {
  const kinds = Object.entries(r.redis.keysPerCall)
    .filter(([, n]) => n >= 0.5)
    .sort((a, b) => (r.redis.kbPerCall[b[0]] ?? 0) - (r.redis.kbPerCall[a[0]] ?? 0))
    .map(([k, n]) => `${k} ${n} (${(r.redis.kbPerCall[k] ?? 0).toFixed(1)} KB)`);
  return (
    `Redis per call: ${r.redis.commandsPerCall ?? "—"} commands (besides ${r.redisIdleCommandsPerSec}/s when idle); ` +
    `keys added ${kinds.join(", ") || "none"}`
  );
}

export function processTable(r: SoakResult): string {
  const rows = r.processes.map((p) => [
    p.name,
    String(p.processes),
    p.cpuSec.toFixed(1),
    `${p.cpuPercent.toFixed(1)} %`,
    p.peakRssMb.toFixed(0),
  ]);
  return table(["process", "procs", "CPU s", "CPU (of one core)", "peak RSS MB"], rows);
}

export function stageTable(r: SoakResult): string {
  const rows = r.stages.map((s) => [s.stage, sec(s.p50), sec(s.p95), sec(s.max), String(s.samples)]);
  return table(["where the time goes", "p50", "p95", "max", "samples"], rows);
}

export function scenarioTable(r: SoakResult): string {
  const rows = Object.entries(r.scenarios).map(([name, s]) => [name, String(s.calls), String(s.problems)]);
  return table(["scenario", "calls", "with a problem"], rows);
}

export function reportText(r: SoakResult): string {
  const load =
    r.calls === undefined ? `${r.cps} calls/s × ${r.minutes} min` : `${r.summary.placed} calls at ${r.cps}/s`;
  const head =
    `soak: ${load}, ${r.workers} workers, emulator plan standard, recordings by ${r.recordDelivery}; ` +
    `window ${r.windowSec.toFixed(0)} s (first call → CRM complete)`;
  const attended = r.attended;
  const lines = [
    head,
    "",
    summaryTable(r),
    keysLine(r),
    "",
    processTable(r),
    "",
    stageTable(r),
    "",
    scenarioTable(r),
    `attended transfers (linphonec): ${attended.placed} placed, ${attended.failed} failed, ${attended.skipped} skipped (soft-phone busy)${attended.note ? `; ${attended.note}` : ""}`,
  ];
  if (r.died.length > 0) lines.push(`DIED during the run: ${r.died.join(", ")}`);
  if (r.observerEvents === 0) lines.push("the ARI observer saw no event: every call looks never bridged");
  if (r.problemLines.length > 0) lines.push("", "calls with a problem (first 30):", ...r.problemLines);
  return lines.join("\n");
}

export function reportJson(r: SoakResult): string {
  const { problemLines: _omit, ...rest } = r;
  return JSON.stringify({ soak: rest, targets: TARGETS, met: targetCheck(r), correct: correct(r) });
}
