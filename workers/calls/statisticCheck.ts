import type { CommandGroup, CommandResult, CrmErrorInfo } from "../delivery/types.ts";
import { statisticCommand } from "./commands.ts";
import type { StepJournal } from "./journal.ts";

/**
 * After a crash the journal may show an intent without an answer. For a finished call the portal's
 * call statistics (`voximplant.statistic.get` filtered by EXTERNAL_CALL_ID) say whether the earlier
 * attempt went through: a record means the call is registered AND finished.
 */

export function statisticGroup(callId: string): CommandGroup {
  return { callId, lane: "bulk", commands: [statisticCommand(callId)] };
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

/** The statistic record of this call, if the portal has one. */
export function findStatisticRecord(
  callId: string,
  result: CommandResult | undefined,
): StatisticRecord | undefined {
  if (!result?.ok) return undefined;
  const raw = result.result;
  const list = Array.isArray(raw) ? raw : raw && typeof raw === "object" ? Object.values(raw) : [];
  return (list as StatisticRecord[]).find(
    (r) =>
      r &&
      typeof r.CALL_ID === "string" &&
      (r.EXTERNAL_CALL_ID === undefined || r.EXTERNAL_CALL_ID === callId),
  );
}

/**
 * Journal facts after the check. Found: registered and finished (with the portal's own figures).
 * Not found: whatever was in flight did not reach the portal — the intents are cleared so the planner
 * sends register (+ finish) again; a registration the portal lost is forgotten with them.
 */
export function applyStatistic(
  journal: StepJournal,
  record: StatisticRecord | undefined,
  at: string,
): StepJournal {
  const next = structuredClone(journal);
  if (record) {
    next.bxCallId = record.CALL_ID;
    next.register = { ...next.register, doneAt: next.register.doneAt ?? at };
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
  next.register = {};
  delete next.bxCallId;
  delete next.registeredFor;
  delete next.finish;
  next.cardsShownTo = [];
  return next;
}
