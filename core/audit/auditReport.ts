import type { AuditFinding, AuditProblem } from "./compareCall.ts";

/**
 * The self-audit's report, PURE: what was compared, what was found, what the audit repaired itself
 * (and verified), and the calls that need a person. Lists are capped so one bad day cannot make the
 * report unreadable; the counts are always complete.
 */

export type AuditTrigger = "schedule" | "request";

export interface RepairedCall {
  callId: string;
  problem: AuditProblem;
  /** `reprocessed` (rebuilt and queued) or `reopened` (a failed call re-opened). */
  action: "reprocessed" | "reopened" | "requeued";
}

export interface NeedsPerson extends AuditFinding {
  /** Why the audit could not settle it: the problem itself, or what its repair ended in. */
  why: string;
}

export interface AuditReport {
  id: string;
  trigger: AuditTrigger;
  state: "running" | "done" | "failed";
  period: { from: string; to: string };
  startedAt: string;
  finishedAt?: string;
  error?: string;
  /** The portal's call statistics were compared too (`audit.checkPortal`), or why not. */
  portal: { checked: boolean; error?: string };
  counts: {
    /** Calls Asterisk's records hold for the period. */
    asterisk: number;
    /** Not ended yet, or not calls for the CRM (internal): not compared. */
    notCompared: number;
    ok: number;
    /**
     * Compared calls with a field a customization needed the CRM for (an audit sends nothing): that
     * field was not compared (workers/audit/auditDecisions.ts).
     */
    unsure: number;
    found: Partial<Record<AuditProblem, number>>;
    repaired: number;
    needsPerson: number;
  };
  /** The period held more calls than `audit.maxCalls`: the first ones were audited. */
  truncated?: boolean;
  found: AuditFinding[];
  repaired: RepairedCall[];
  needsPerson: NeedsPerson[];
}

/** Entries kept per list in a stored report. */
export const REPORT_LIST_LIMIT = 1000;

export function newReport(input: {
  id: string;
  trigger: AuditTrigger;
  period: { from: string; to: string };
  startedAt: string;
}): AuditReport {
  return {
    ...input,
    state: "running",
    portal: { checked: false },
    counts: { asterisk: 0, notCompared: 0, ok: 0, unsure: 0, found: {}, repaired: 0, needsPerson: 0 },
    found: [],
    repaired: [],
    needsPerson: [],
  };
}

export function noteFound(report: AuditReport, finding: AuditFinding): void {
  report.counts.found[finding.problem] = (report.counts.found[finding.problem] ?? 0) + 1;
  if (report.found.length < REPORT_LIST_LIMIT) report.found.push(finding);
}

export function noteRepaired(report: AuditReport, repaired: RepairedCall): void {
  report.counts.repaired += 1;
  if (report.repaired.length < REPORT_LIST_LIMIT) report.repaired.push(repaired);
}

export function noteNeedsPerson(report: AuditReport, finding: AuditFinding, why: string): void {
  report.counts.needsPerson += 1;
  if (report.needsPerson.length < REPORT_LIST_LIMIT) report.needsPerson.push({ ...finding, why });
}

/** What `/status` shows of the last report. */
export interface AuditSummary {
  id: string;
  trigger: AuditTrigger;
  state: AuditReport["state"];
  period: { from: string; to: string };
  finishedAt: string | null;
  asteriskCalls: number;
  found: number;
  repaired: number;
  needsPerson: number;
  portalChecked: boolean;
  /** Why the portal's statistics could not be compared (the run compared the journal only). */
  portalError?: string;
  error?: string;
}

export function summariseReport(report: AuditReport): AuditSummary {
  const found = Object.values(report.counts.found).reduce((a, b) => a + (b ?? 0), 0);
  return {
    id: report.id,
    trigger: report.trigger,
    state: report.state,
    period: report.period,
    finishedAt: report.finishedAt ?? null,
    asteriskCalls: report.counts.asterisk,
    found,
    repaired: report.counts.repaired,
    needsPerson: report.counts.needsPerson,
    portalChecked: report.portal.checked,
    ...(report.portal.error ? { portalError: report.portal.error } : {}),
    ...(report.error ? { error: report.error } : {}),
  };
}

/**
 * The period a run audits: `[to - periodHours, to)` with `to` = now - settleMinutes, so calls that
 * have just ended (still on their way to the CRM) are left to the next run.
 */
export function auditPeriod(
  now: Date,
  periodHours: number,
  settleMinutes: number,
): { from: string; to: string } {
  const to = new Date(now.getTime() - settleMinutes * 60_000);
  const from = new Date(to.getTime() - periodHours * 3_600_000);
  return { from: from.toISOString(), to: to.toISOString() };
}
