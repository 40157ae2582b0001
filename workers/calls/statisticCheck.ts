import type { CommandResult, CrmErrorInfo } from "../delivery/types.ts";
import { statisticCommand } from "./commands.ts";
import { inFlightUntil, type StepJournal } from "./journal.ts";
import { plannedGroup, type PlannedGroup } from "./plan.ts";

/**
 * The verification after an unanswered request (or a finish answered "Call is not found"): the
 * portal's call statistics (`voximplant.statistic.get` filtered by EXTERNAL_CALL_ID) say whether the
 * call went through — a record means the call is registered AND finished. Read-only, so the check
 * itself is safe to repeat.
 */

/**
 * The check of one call: by EXTERNAL_CALL_ID, except for a click-to-call whose portal CALL_ID was
 * adopted (the portal registered it, without our id): by that CALL_ID.
 */
export function statisticGroup(
  journal: Pick<StepJournal, "callId" | "bxCallId" | "portalCallAdoptedAt">,
): PlannedGroup {
  const portalCallId = journal.portalCallAdoptedAt ? journal.bxCallId : undefined;
  return plannedGroup(journal.callId, "bulk", [statisticCommand(journal.callId, portalCallId)]);
}

/**
 * The statistics did not answer (a command error, retryable or not — e.g. METHOD_NOT_FOUND on a box
 * portal without the method). This is NOT "no record": the check is retried, never skipped.
 */
export class StatisticUnanswered extends Error {
  constructor(readonly error: CrmErrorInfo) {
    super(`statistic check failed: ${error.code}: ${error.description}`);
    this.name = "StatisticUnanswered";
  }
}

export const NO_STATISTIC_ANSWER: CrmErrorInfo = {
  code: "NO_ANSWER",
  description: "voximplant.statistic.get returned no answer",
  retryable: true,
};

export interface StatisticRecord {
  CALL_ID: string;
  EXTERNAL_CALL_ID?: string;
  PORTAL_USER_ID?: unknown;
  CALL_DURATION?: unknown;
  CALL_FAILED_CODE?: unknown;
  CRM_ACTIVITY_ID?: unknown;
}

/** The statistic record of this call, if the portal has one (the journal's CALL_ID first). */
export function findStatisticRecord(
  journal: Pick<StepJournal, "callId" | "bxCallId">,
  result: CommandResult | undefined,
): StatisticRecord | undefined {
  if (!result?.ok) return undefined;
  const raw = result.result;
  const list = Array.isArray(raw) ? raw : raw && typeof raw === "object" ? Object.values(raw) : [];
  const records = (list as StatisticRecord[]).filter(
    (r) =>
      r &&
      typeof r.CALL_ID === "string" &&
      (r.EXTERNAL_CALL_ID === undefined ||
        r.EXTERNAL_CALL_ID === journal.callId ||
        r.CALL_ID === journal.bxCallId),
  );
  return records.find((r) => r.CALL_ID === journal.bxCallId) ?? records[0];
}

/** What the check decided: new journal facts, or come back when an unanswered request can no longer run. */
export type CheckVerdict = { journal: StepJournal } | { notBeforeMs: number };

/**
 * Journal facts after the check.
 * - A rebuilt call without a journal (`verifyFirst`): a record is adopted as below (never registered
 *   again); none means the portal never had the call — register+finish follow.
 * - A record: registered and finished, with the portal's own figures.
 * - None after "Call is not found": the portal has neither the live call nor its record — the
 *   registration is forgotten and the call is registered again.
 * - None while the unanswered request may still run (`inFlightWindowMs` after its last attempt) and a
 *   register rides with it: come back later (a late register after our finish would be a second call).
 * - None otherwise: the finish did not run; its intent is cleared and the planner sends it again (a
 *   finish cannot double a call: a second one finds no live call). A pending register keeps its
 *   stored parameters and is re-sent with them.
 */
export function applyCheck(
  journal: StepJournal,
  record: StatisticRecord | undefined,
  now: Date,
  inFlightWindowMs: number,
): CheckVerdict {
  const at = now.toISOString();
  if (record) return { journal: withoutVerify(recordFound(journal, record, at)) };
  const next = structuredClone(journal);
  if (next.verifyFirst) return { journal: withoutVerify(next) };
  if (next.finish?.notFoundAt) return { journal: forgetRegistration(next) };
  if (!next.register.doneAt) {
    const until = Math.max(
      inFlightUntil(next.register, inFlightWindowMs),
      inFlightUntil(next.finish, inFlightWindowMs),
    );
    if (until > now.getTime()) return { notBeforeMs: until };
    delete next.finish;
    return { journal: next };
  }
  if (next.finish) {
    delete next.finish.intentAt;
    delete next.finish.ambiguousAt;
  }
  return { journal: next };
}

function recordFound(journal: StepJournal, record: StatisticRecord, at: string): StepJournal {
  const next = structuredClone(journal);
  next.bxCallId = record.CALL_ID;
  const { ambiguousAt: _a, ...register } = next.register;
  next.register = { ...register, doneAt: next.register.doneAt ?? at };
  next.cardsShownTo = [];
  next.finish = {
    statusCode: String(record.CALL_FAILED_CODE ?? next.finish?.statusCode ?? ""),
    duration: Number(record.CALL_DURATION ?? next.finish?.duration ?? 0),
    userId: Number(record.PORTAL_USER_ID ?? next.finish?.userId ?? 0),
    ...(next.finish?.intentAt ? { intentAt: next.finish.intentAt } : {}),
    doneAt: at,
  };
  if (record.CRM_ACTIVITY_ID !== undefined && record.CRM_ACTIVITY_ID !== null) {
    next.finish.activityId = String(record.CRM_ACTIVITY_ID);
  }
  return next;
}

function withoutVerify(journal: StepJournal): StepJournal {
  delete journal.verifyFirst;
  return journal;
}

function forgetRegistration(journal: StepJournal): StepJournal {
  journal.register = {};
  delete journal.bxCallId;
  delete journal.registeredFor;
  delete journal.finish;
  journal.cardsShownTo = [];
  return journal;
}
