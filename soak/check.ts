import { percentile, phoneKey } from "../demo/crmCheck.ts";
import type { CallerSide, Expected, PhoneLeg, TalkWindow } from "./truth.ts";
import { firstRings } from "./truth.ts";

/**
 * Checks every placed call against the emulator's CRM (`GET /_emulator/state`): exactly one finished
 * CRM call per caller number, with the user, status and duration the phones' truth implies, and a
 * recording when somebody talked; and measures hang-up → finish and first ring → card. Pure.
 */

export interface CrmCall {
  CALL_ID: string;
  /** The call's linkedid (the app's call id). */
  EXTERNAL_CALL_ID?: string | null;
  PHONE_NUMBER?: string | null;
  finish?: {
    USER_ID?: number | string | null;
    STATUS_CODE?: number | string | null;
    DURATION?: number | string | null;
    finishedAt?: number | null;
  } | null;
  cardLog?: { action: "show" | "hide"; userId: number; at: number }[];
  records?: unknown[];
}

export interface ObservedCall {
  seq: number;
  scenario: string;
  clientNumber: string;
  caller: CallerSide;
  legs: PhoneLeg[];
  /** When the client could talk (in a bridge); absent when it never was. */
  window?: TalkWindow;
  expected: Expected;
  /** The harness could not place it (sipp failed to start, no port). */
  error?: string;
}

export type Problem =
  | "notPlaced"
  | "lost"
  | "unfinished"
  | "doubled"
  | "wrongUser"
  | "wrongStatus"
  | "wrongDuration"
  | "noRecording";

export interface Verdict {
  seq: number;
  problems: { kind: Problem; detail: string }[];
  hangupToCrmMs?: number;
  /** Per CRM user rung: first show − first ring (ms); negative when the card was there first. */
  cardMs: number[];
  /** CRM users who rang in this call but never got a card. */
  ringsWithoutCard: number;
  /** A blind transfer (REFER) after which no phone rang: the client was left alone in the call. */
  transferNotRung: boolean;
}

export interface CheckSummary {
  placed: number;
  notPlaced: number;
  inCrm: number;
  lost: number;
  doubled: number;
  wrong: number;
  wrongUser: number;
  wrongStatus: number;
  wrongDuration: number;
  answered: number;
  recorded: number;
  noRecording: number;
  /** CRM calls whose number matches no placed call (e.g. internal calls). */
  unexpected: number;
  hangupToCrmMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null };
  cardMs: { p50: number | null; p95: number | null; max: number | null; samples: number };
  ringsWithoutCard: number;
  /** Blind transfers whose target never rang (a PBX-side failure; the CRM may still be right). */
  transfersNotRung: number;
}

const num = (v: unknown): number | null => {
  if (v === null || v === undefined || v === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

export function checkCall(
  call: ObservedCall,
  crm: readonly CrmCall[],
  userIdOf: (ext: string) => number | undefined,
): Verdict {
  const verdict: Verdict = {
    seq: call.seq,
    problems: [],
    cardMs: [],
    ringsWithoutCard: 0,
    transferNotRung: transferNotRung(call),
  };
  const problem = (kind: Problem, detail: string) => verdict.problems.push({ kind, detail });
  if (call.error !== undefined) {
    problem("notPlaced", call.error);
    return verdict;
  }
  measureCards(call, crm, userIdOf, verdict);
  if (crm.length === 0) {
    problem("lost", `no CRM call for ${call.clientNumber}`);
    return verdict;
  }
  const ids = new Set(crm.map((c) => c.CALL_ID));
  if (ids.size > 1) problem("doubled", `${ids.size} CRM calls: ${[...ids].join(", ")}`);
  const finished = crm.find((c) => c.finish);
  if (!finished?.finish) {
    problem("unfinished", `CRM call ${crm[0]!.CALL_ID} registered, never finished`);
    return verdict;
  }
  const f = finished.finish;
  const e = call.expected;
  const userId = num(f.USER_ID);
  if (userId === null || !e.userIds.includes(userId))
    problem("wrongUser", `user ${userId}, the phones say ${e.userIds.join(" or ")}`);
  const status = f.STATUS_CODE == null ? null : String(f.STATUS_CODE);
  if (status !== e.statusCode) problem("wrongStatus", `status ${status}, the phones say ${e.statusCode}`);
  const duration = num(f.DURATION);
  if (duration === null || duration < e.durationSec.min || duration > e.durationSec.max)
    problem(
      "wrongDuration",
      `duration ${duration} s, the phones say ${e.durationSec.min}..${e.durationSec.max} s`,
    );
  if (e.answered && (finished.records?.length ?? 0) === 0) problem("noRecording", "answered, no recording");
  if (typeof f.finishedAt === "number" && call.caller.endedAt !== undefined)
    verdict.hangupToCrmMs = f.finishedAt - call.caller.endedAt;
  return verdict;
}

/** The PBX's side, not the CRM's: a REFER whose target never rang (the client talked to nobody). */
export function transferNotRung(call: ObservedCall): boolean {
  return call.legs.some(
    (l) =>
      l.transferredAt !== undefined &&
      !l.joinedWithoutRing &&
      !call.legs.some((other) => other !== l && other.rangAt >= l.transferredAt!),
  );
}

function measureCards(
  call: ObservedCall,
  crm: readonly CrmCall[],
  userIdOf: (ext: string) => number | undefined,
  verdict: Verdict,
): void {
  const shows = new Map<number, number>();
  for (const c of crm)
    for (const entry of c.cardLog ?? [])
      if (entry.action === "show")
        shows.set(entry.userId, Math.min(shows.get(entry.userId) ?? Infinity, entry.at));
  for (const [userId, rangAt] of firstRings(call.legs, userIdOf)) {
    const shownAt = shows.get(userId);
    if (shownAt === undefined) verdict.ringsWithoutCard++;
    else verdict.cardMs.push(shownAt - rangAt);
  }
}

export function checkCalls(
  calls: readonly ObservedCall[],
  crmCalls: readonly CrmCall[],
  userIdOf: (ext: string) => number | undefined,
): { verdicts: Verdict[]; summary: CheckSummary } {
  const byPhone = new Map<string, CrmCall[]>();
  for (const c of crmCalls) {
    const key = phoneKey(c.PHONE_NUMBER);
    byPhone.set(key, [...(byPhone.get(key) ?? []), c]);
  }
  const verdicts = calls.map((c) => checkCall(c, byPhone.get(phoneKey(c.clientNumber)) ?? [], userIdOf));
  const has = (v: Verdict, ...kinds: Problem[]) => v.problems.some((p) => kinds.includes(p.kind));
  const count = (...kinds: Problem[]) => verdicts.filter((v) => has(v, ...kinds)).length;
  const placedNumbers = new Set(calls.map((c) => phoneKey(c.clientNumber)));
  const latencies = verdicts.flatMap((v) => (v.hangupToCrmMs === undefined ? [] : [v.hangupToCrmMs]));
  // A card already shown when the phone starts ringing counts as 0 ms late.
  const cards = verdicts.flatMap((v) => v.cardMs.map((ms) => Math.max(0, ms)));
  const answeredSeqs = new Set(
    calls.filter((c) => c.error === undefined && c.expected.answered).map((c) => c.seq),
  );
  const answered = answeredSeqs.size;
  const noRecording = count("noRecording");
  const recorded = verdicts.filter(
    (v) => answeredSeqs.has(v.seq) && !has(v, "lost", "unfinished", "noRecording"),
  ).length;
  return {
    verdicts,
    summary: {
      placed: calls.length,
      notPlaced: count("notPlaced"),
      inCrm: verdicts.filter((v) => !has(v, "notPlaced", "lost", "unfinished")).length,
      lost: count("lost", "unfinished"),
      doubled: count("doubled"),
      wrong: count("wrongUser", "wrongStatus", "wrongDuration"),
      wrongUser: count("wrongUser"),
      wrongStatus: count("wrongStatus"),
      wrongDuration: count("wrongDuration"),
      answered,
      recorded,
      noRecording,
      unexpected: crmCalls.filter((c) => !placedNumbers.has(phoneKey(c.PHONE_NUMBER))).length,
      hangupToCrmMs: {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        max: latencies.length ? Math.max(...latencies) : null,
      },
      cardMs: {
        p50: percentile(cards, 50),
        p95: percentile(cards, 95),
        max: cards.length ? Math.max(...cards) : null,
        samples: cards.length,
      },
      ringsWithoutCard: verdicts.reduce((sum, v) => sum + v.ringsWithoutCard, 0),
      transfersNotRung: verdicts.filter((v) => v.transferNotRung).length,
    },
  };
}
