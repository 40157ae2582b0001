import type { ExpectedCrm } from "./expectations.ts";

/**
 * PURE checks of the emulator's state (`GET /_emulator/state`) against the expected CRM result of
 * every generated call: present exactly once per EXTERNAL_CALL_ID, finished for the right user with
 * the right status and duration, the recording attached once when there is one.
 */

export interface EmulatorCall {
  CALL_ID: string;
  EXTERNAL_CALL_ID: string;
  USER_ID: number;
  state: "registered" | "finished";
  finish: { USER_ID: number; DURATION: number; STATUS_CODE: string; finishedAt: number } | null;
  records: { at: number }[];
}

export interface EmulatorRequest {
  method: string;
  at: number;
  status: number;
  batchSize?: number;
  error?: string;
}

export type ProblemKind =
  | "missing"
  | "duplicate"
  | "notFinished"
  | "wrongUser"
  | "wrongStatus"
  | "wrongDuration"
  | "noRecording"
  | "duplicateRecording";

export interface CallProblem {
  callId: string;
  kind: ProblemKind;
  detail: string;
}

export interface Verification {
  expected: number;
  /** Calls whose CRM record is exactly right. */
  verified: number;
  missing: number;
  /** Extra registrations: records beyond the first per EXTERNAL_CALL_ID. */
  duplicates: number;
  /** Calls present once but wrong or incomplete. */
  wrong: number;
  problems: CallProblem[];
}

export function groupByExternalId(calls: readonly EmulatorCall[]): Map<string, EmulatorCall[]> {
  const byId = new Map<string, EmulatorCall[]>();
  for (const call of calls) {
    const list = byId.get(call.EXTERNAL_CALL_ID);
    if (list) list.push(call);
    else byId.set(call.EXTERNAL_CALL_ID, [call]);
  }
  return byId;
}

/** What is wrong with the one CRM record of a call (empty: it is right). */
function problemsOf(want: ExpectedCrm, got: EmulatorCall): CallProblem[] {
  const out: CallProblem[] = [];
  const add = (kind: ProblemKind, detail: string) => out.push({ callId: want.callId, kind, detail });
  const fin = got.finish;
  if (got.state !== "finished" || !fin) {
    add("notFinished", `state ${got.state}`);
    return out;
  }
  if (fin.USER_ID !== want.userId) add("wrongUser", `USER_ID ${fin.USER_ID}, expected ${want.userId}`);
  if (fin.STATUS_CODE !== want.statusCode)
    add("wrongStatus", `STATUS_CODE ${fin.STATUS_CODE}, expected ${want.statusCode}`);
  if (fin.DURATION !== want.durationSec)
    add("wrongDuration", `DURATION ${fin.DURATION}, expected ${want.durationSec}`);
  if (want.recording && got.records.length === 0) add("noRecording", "no recording attached");
  if (got.records.length > 1) add("duplicateRecording", `${got.records.length} recordings attached`);
  return out;
}

export function verifyCalls(expected: readonly ExpectedCrm[], calls: readonly EmulatorCall[]): Verification {
  const byId = groupByExternalId(calls);
  const result: Verification = {
    expected: expected.length,
    verified: 0,
    missing: 0,
    duplicates: 0,
    wrong: 0,
    problems: [],
  };
  for (const want of expected) {
    const found = byId.get(want.callId) ?? [];
    if (found.length === 0) {
      result.missing++;
      result.problems.push({ callId: want.callId, kind: "missing", detail: "not registered" });
      continue;
    }
    if (found.length > 1) {
      result.duplicates += found.length - 1;
      result.problems.push({
        callId: want.callId,
        kind: "duplicate",
        detail: `registered ${found.length} times`,
      });
      continue;
    }
    const problems = problemsOf(want, found[0]!);
    if (problems.length === 0) result.verified++;
    else result.wrong++;
    result.problems.push(...problems);
  }
  return result;
}

/** Whether the CRM holds everything a call needs (finished, and its recording when it has one). */
export function isSettled(want: ExpectedCrm, found: readonly EmulatorCall[] | undefined): boolean {
  if (!found || found.length === 0) return false;
  return found.some((c) => c.state === "finished" && (!want.recording || c.records.length > 0));
}

/** When a call was last written in the CRM (finish or recording), emulator ms; undefined if not yet. */
export function crmCompletedAt(found: readonly EmulatorCall[] | undefined): number | undefined {
  let latest: number | undefined;
  for (const call of found ?? []) {
    for (const at of [call.finish?.finishedAt, ...call.records.map((r) => r.at)]) {
      if (at !== undefined && (latest === undefined || at > latest)) latest = at;
    }
  }
  return latest;
}

export interface RequestStats {
  requests: number;
  /** Commands carried: the batch size of a batch, 1 for any other request. */
  commands: number;
  batches: number;
  uploads: number;
  status503: number;
  status429: number;
  /** Other non-2xx answers. */
  otherErrors: number;
  /** Which requests the portal refused with 503 (method → count). */
  status503ByMethod: Record<string, number>;
}

export function requestStats(requests: readonly EmulatorRequest[]): RequestStats {
  const stats: RequestStats = {
    requests: 0,
    commands: 0,
    batches: 0,
    uploads: 0,
    status503: 0,
    status429: 0,
    otherErrors: 0,
    status503ByMethod: {},
  };
  for (const r of requests) {
    stats.requests++;
    if (r.status === 503) {
      stats.status503++;
      stats.status503ByMethod[r.method] = (stats.status503ByMethod[r.method] ?? 0) + 1;
    }
    if (r.status === 429) stats.status429++;
    else if (r.status !== 503 && (r.status < 200 || r.status >= 300)) stats.otherErrors++;
    if (r.status < 200 || r.status >= 300) continue;
    if (r.method === "batch") stats.batches++;
    if (r.method === "upload") stats.uploads++;
    stats.commands += r.method === "batch" ? (r.batchSize ?? 0) : 1;
  }
  return stats;
}

/** p-th percentile (0..100) by nearest rank; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}
