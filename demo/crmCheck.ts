import type { PlannedCall } from "./callMix.ts";

/**
 * Checks placed calls against what the Bitrix24 emulator received (`GET /_emulator/state`): exactly one
 * CRM call per placed call (matched by the client's number, unique per demo call), finished with the
 * right user, status code, type and duration. Pure, so it is unit-tested without any server.
 */

/** The part of an emulator call record the check reads. Field types vary (strings from forms). */
export interface EmulatorCall {
  CALL_ID: string;
  EXTERNAL_CALL_ID?: string | null;
  USER_ID?: number | string | null;
  PHONE_NUMBER?: string | null;
  TYPE?: number | string | null;
  state?: string;
  finish?: {
    STATUS_CODE?: number | string | null;
    DURATION?: number | string | null;
    USER_ID?: number | string | null;
    finishedAt?: number | string | null;
  } | null;
}

export interface PlacedCall {
  plan: PlannedCall;
  /** When the demo saw the call end (ms); absent if it never ended. */
  endedAt?: number;
  /** Why the call could not be placed at all (sipp failure). */
  error?: string;
}

export type ProblemKind =
  | "notPlaced"
  | "missing"
  | "unfinished"
  | "duplicate"
  | "wrongUser"
  | "wrongStatus"
  | "wrongType"
  | "wrongDuration";

export interface CallVerdict {
  seq: number;
  problems: { kind: ProblemKind; detail: string }[];
  /** The finished CRM call, when exactly one was found. */
  crm?: { callId: string; userId: number | null; statusCode: string | null; durationSec: number | null };
  endToCrmMs?: number;
}

export interface CheckSummary {
  calls: number;
  inCrm: number;
  missing: number;
  duplicates: number;
  wrongUser: number;
  wrongStatus: number;
  p95EndToCrmMs: number | null;
  unfinished: number;
  wrongType: number;
  wrongDuration: number;
  notPlaced: number;
  /** CRM calls that match no placed call (informational). */
  unexpected: number;
}

/** The last ten digits: `+7 916 500-00-01`, `89165000001` and `79165000001` are the same client. */
export function phoneKey(phone: string | null | undefined): string {
  return (phone ?? "").replace(/\D/g, "").slice(-10);
}

export function checkCall(placed: PlacedCall, matches: EmulatorCall[]): CallVerdict {
  const { plan } = placed;
  const verdict: CallVerdict = { seq: plan.seq, problems: [] };
  const problem = (kind: ProblemKind, detail: string) => verdict.problems.push({ kind, detail });
  if (placed.error !== undefined) {
    problem("notPlaced", placed.error);
    return verdict;
  }
  if (matches.length === 0) {
    problem("missing", `no CRM call for ${plan.clientNumber}`);
    return verdict;
  }
  if (distinctCalls(matches) > 1) {
    problem("duplicate", `${distinctCalls(matches)} CRM calls for ${plan.clientNumber}`);
  }
  const finished = matches.filter((m) => m.finish);
  const call = finished[0];
  if (!call?.finish) {
    problem("unfinished", `CRM call ${matches[0]!.CALL_ID} registered but not finished`);
    return verdict;
  }
  const userId = toNumber(call.finish.USER_ID ?? call.USER_ID);
  const statusCode = call.finish.STATUS_CODE == null ? null : String(call.finish.STATUS_CODE);
  const durationSec = toNumber(call.finish.DURATION);
  verdict.crm = { callId: call.CALL_ID, userId, statusCode, durationSec };
  const e = plan.expect;
  if (userId === null || !e.userIds.includes(userId)) {
    problem("wrongUser", `user ${userId}, expected ${e.userIds.join(" or ")}`);
  }
  if (statusCode !== e.statusCode) problem("wrongStatus", `status ${statusCode}, expected ${e.statusCode}`);
  const expectedType = plan.direction === "inbound" ? 2 : 1;
  if (toNumber(call.TYPE) !== expectedType)
    problem("wrongType", `TYPE ${call.TYPE}, expected ${expectedType}`);
  if (durationSec === null || durationSec < e.durationSec.min || durationSec > e.durationSec.max) {
    problem(
      "wrongDuration",
      `duration ${durationSec} s, expected ${e.durationSec.min}..${e.durationSec.max} s`,
    );
  }
  const finishedAt = toMs(call.finish.finishedAt);
  if (finishedAt !== undefined && placed.endedAt !== undefined) {
    verdict.endToCrmMs = Math.max(0, finishedAt - placed.endedAt);
  }
  return verdict;
}

/** Groups the emulator's calls by client number and checks every placed call. */
export function checkCalls(
  placed: PlacedCall[],
  crmCalls: EmulatorCall[],
): { verdicts: CallVerdict[]; summary: CheckSummary } {
  const byPhone = new Map<string, EmulatorCall[]>();
  for (const c of crmCalls) {
    const key = phoneKey(c.PHONE_NUMBER);
    byPhone.set(key, [...(byPhone.get(key) ?? []), c]);
  }
  const wanted = new Set(placed.map((p) => phoneKey(p.plan.clientNumber)));
  const verdicts = placed.map((p) => checkCall(p, byPhone.get(phoneKey(p.plan.clientNumber)) ?? []));
  const count = (kind: ProblemKind) => verdicts.filter((v) => v.problems.some((p) => p.kind === kind)).length;
  const summary: CheckSummary = {
    calls: placed.length,
    inCrm: verdicts.filter((v) => v.crm !== undefined).length,
    missing: count("missing") + count("notPlaced") + count("unfinished"),
    duplicates: count("duplicate"),
    wrongUser: count("wrongUser"),
    wrongStatus: count("wrongStatus"),
    p95EndToCrmMs: percentile(
      verdicts.flatMap((v) => (v.endToCrmMs === undefined ? [] : [v.endToCrmMs])),
      95,
    ),
    unfinished: count("unfinished"),
    wrongType: count("wrongType"),
    wrongDuration: count("wrongDuration"),
    notPlaced: count("notPlaced"),
    unexpected: crmCalls.filter((c) => !wanted.has(phoneKey(c.PHONE_NUMBER))).length,
  };
  return { verdicts, summary };
}

export function summaryPassed(s: CheckSummary): boolean {
  return (
    s.inCrm === s.calls &&
    s.missing + s.duplicates + s.wrongUser + s.wrongStatus + s.wrongType + s.wrongDuration === 0
  );
}

/** Calls that are not yet final in the CRM (not registered, or not finished): the demo waits for them. */
export function pendingCalls(placed: PlacedCall[], crmCalls: EmulatorCall[]): PlacedCall[] {
  const finished = new Set(crmCalls.filter((c) => c.finish).map((c) => phoneKey(c.PHONE_NUMBER)));
  return placed.filter((p) => p.error === undefined && !finished.has(phoneKey(p.plan.clientNumber)));
}

/** Nearest-rank percentile; null for no values. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return Math.round(sorted[rank - 1]!);
}

/** Two CRM calls for one placed call (a second register) show up as two CALL_IDs. */
function distinctCalls(calls: EmulatorCall[]): number {
  return new Set(calls.map((c) => c.CALL_ID)).size;
}

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function toMs(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}
