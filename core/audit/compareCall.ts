/**
 * The self-audit's verdict on one call, PURE: what Asterisk's records say the CRM should hold
 * (`ExpectedCall`, from the rebuild), against what the workers' journal says was delivered and — when
 * the portal's call statistics were read — what the portal holds. No verdict means the call is fine.
 */

export type AuditProblem =
  /** Not in the CRM (no journal, or the portal has no record of it). */
  | "missing"
  /** The workers failed it for good (the reason says why). */
  | "failed"
  /** More than one call in the portal's statistics for one Asterisk call. */
  | "doubled"
  /** In the CRM with another responsible user, status or duration than Asterisk's records give. */
  | "wrong"
  /** Ended, not yet delivered, skipped or failed: still on its way (held delivery, backlog). */
  | "undelivered";

export interface ExpectedCall {
  callId: string;
  startedAt: string;
  direction: string;
  clientNumber: string;
  /** Asterisk has ended it (LINKEDID_END). */
  complete: boolean;
  /** A call the CRM gets at all (internal calls only with `crm.registerInternal`). */
  forCrm: boolean;
  /** The CRM user the call should be finished with (undefined: nobody the directory knows). */
  userId?: number;
  status: string;
  durationSec: number;
  /**
   * Fields the audit could not compute as delivery would: a customization asked the CRM for it, and
   * an audit sends nothing (workers/audit/auditDecisions.ts). They are not compared.
   */
  unsure?: FieldDifference["field"][];
}

/** The few facts of the workers' journal the audit reads. */
export interface JournalFacts {
  state: "none" | "pending" | "delivered" | "failed" | "skipped";
  reason?: string;
  bxCallId?: string;
  /**
   * A click-to-call: the portal's own CALL_ID, adopted (never registered by us, so the portal's
   * statistics may not carry our EXTERNAL_CALL_ID): the portal is asked by this CALL_ID.
   */
  portalCallId?: string;
  finish?: { userId: number; statusCode: string; duration: number };
}

export interface PortalRecord {
  callId: string;
  userId?: number;
  status?: string;
  durationSec?: number;
}

/** The portal's statistics for the call, when they were read. */
export type PortalFacts = { checked: false } | { checked: true; records: PortalRecord[] };

export interface FieldDifference {
  field: "user" | "status" | "duration";
  expected: string | number;
  actual: string | number;
}

export interface AuditFinding {
  callId: string;
  problem: AuditProblem;
  detail: string;
  /** The audit can repair it itself (re-process or re-open); the rest needs a person. */
  repairable: boolean;
  startedAt: string;
  clientNumber: string;
  differences?: FieldDifference[];
}

export interface CompareOptions {
  /** Talk time may differ this much (s) between the CRM and the records before it is "wrong". */
  durationToleranceSec: number;
}

export function compareCall(
  expected: ExpectedCall,
  journal: JournalFacts,
  portal: PortalFacts,
  options: CompareOptions,
): AuditFinding | undefined {
  if (!expected.complete || !expected.forCrm) return undefined;
  const finding = (problem: AuditProblem, detail: string, repairable: boolean): AuditFinding => ({
    callId: expected.callId,
    problem,
    detail,
    repairable,
    startedAt: expected.startedAt,
    clientNumber: expected.clientNumber,
  });
  if (journal.state === "failed") return finding("failed", journal.reason ?? "failed", true);
  if (journal.state === "skipped")
    return finding("missing", `skipped by the workers: ${journal.reason ?? "no reason"}`, false);
  if (portal.checked) {
    const { records } = portal;
    if (records.length > 1) {
      const ids = records.map((r) => r.callId).join(", ");
      return finding("doubled", `${records.length} calls in the portal's statistics: ${ids}`, false);
    }
    const [record] = records;
    if (!record) return missingFromPortal(journal, finding);
    return wrongFields(expected, record, options, finding);
  }
  if (journal.state === "none") return finding("missing", "no trace of delivery (no journal)", true);
  if (journal.state === "pending") return finding("undelivered", "delivery not finished yet", true);
  if (!journal.finish) return undefined;
  const { userId, statusCode, duration } = journal.finish;
  return wrongFields(
    expected,
    { callId: journal.bxCallId ?? "", userId, status: statusCode, durationSec: duration },
    options,
    finding,
  );
}

function missingFromPortal(
  journal: JournalFacts,
  finding: (p: AuditProblem, d: string, r: boolean) => AuditFinding,
): AuditFinding {
  if (journal.state === "none") return finding("missing", "not in the portal's statistics, no journal", true);
  if (journal.state === "pending") return finding("undelivered", "delivery not finished yet", true);
  // The journal says delivered, the portal has no record: sending again could double it if the
  // statistics lag or were cleaned — a person looks.
  const bx = journal.bxCallId ? ` (CALL_ID ${journal.bxCallId})` : "";
  return finding("missing", `the journal says delivered${bx}, the portal's statistics have no record`, false);
}

function wrongFields(
  expected: ExpectedCall,
  actual: PortalRecord,
  options: CompareOptions,
  finding: (p: AuditProblem, d: string, r: boolean) => AuditFinding,
): AuditFinding | undefined {
  const differences: FieldDifference[] = [];
  const sure = (field: FieldDifference["field"]) => !expected.unsure?.includes(field);
  if (
    sure("user") &&
    expected.userId !== undefined &&
    actual.userId !== undefined &&
    expected.userId !== actual.userId
  )
    differences.push({ field: "user", expected: expected.userId, actual: actual.userId });
  if (sure("status") && actual.status !== undefined && actual.status !== expected.status)
    differences.push({ field: "status", expected: expected.status, actual: actual.status });
  if (
    sure("duration") &&
    actual.durationSec !== undefined &&
    Math.abs(actual.durationSec - expected.durationSec) > options.durationToleranceSec
  )
    differences.push({ field: "duration", expected: expected.durationSec, actual: actual.durationSec });
  if (differences.length === 0) return undefined;
  const detail = differences.map((d) => `${d.field} ${d.actual}, records say ${d.expected}`).join("; ");
  return { ...finding("wrong", detail, false), differences };
}
