import type { CommandGroup, CommandResult, CrmCommand, CrmErrorInfo } from "../delivery/types.ts";
import { METHOD, sameMethod, userIdsOf } from "./commands.ts";
import type { JournalStep, StepJournal } from "./journal.ts";

/**
 * Pure bookkeeping around one sent group: `withIntents` marks what is about to be sent (stored before
 * sending), `applyAnswers` turns the portal's answers into journal facts and tells the reconciler what
 * else to do (upload a file, ask the statistics, give up, retry later).
 */

export interface AnswerOutcome {
  journal: StepJournal;
  /** attachRecord answered with an upload URL: the file goes there, outside the batch. */
  upload?: { uploadUrl: string; fieldName: string };
  /** finish said "Call is not found" after an earlier finish intent: ask the statistics, don't retry. */
  checkStatistic?: boolean;
  /** A permanent error: the call is failed with this reason. */
  failure?: { step: JournalStep; error: CrmErrorInfo };
  /** A command failed with an error another attempt may fix. */
  retryable?: CrmErrorInfo;
  /** Errors of card commands: logged and counted, they never fail a call. */
  cardErrors: CrmErrorInfo[];
}

export function stepOf(command: CrmCommand): JournalStep {
  if (sameMethod(command.method, METHOD.register)) return "register";
  if (sameMethod(command.method, METHOD.finish)) return "finish";
  if (sameMethod(command.method, METHOD.attachRecord)) return "record";
  if (sameMethod(command.method, METHOD.statistic)) return "statistic";
  return "cards";
}

export function withIntents(
  journal: StepJournal,
  group: CommandGroup,
  at: string,
  recordFile?: string,
): StepJournal {
  const next = structuredClone(journal);
  for (const command of group.commands) {
    const step = stepOf(command);
    if (step === "register") next.register.intentAt = at;
    if (step === "finish") {
      const p = command.params;
      next.finish = {
        intentAt: at,
        statusCode: String(p.STATUS_CODE),
        duration: Number(p.DURATION),
        userId: Number(p.USER_ID),
      };
    }
    if (step === "record")
      next.record = { intentAt: at, file: recordFile ?? String(command.params.FILENAME) };
  }
  return next;
}

export function applyAnswers(
  before: StepJournal,
  group: CommandGroup,
  results: CommandResult[],
  at: string,
  /** The journal before intents were written: did an earlier finish attempt exist? */
  hadFinishIntent: boolean,
): AnswerOutcome {
  const journal = structuredClone(before);
  const outcome: AnswerOutcome = { journal, cardErrors: [] };
  group.commands.forEach((command, i) => {
    const result = results[i] ?? { ok: false, error: missingAnswer() };
    const step = stepOf(command);
    if (!result.ok) return noteError(outcome, command, step, result.error, hadFinishIntent);
    if (step === "register") applyRegister(journal, command, result.result, at);
    else if (step === "cards") applyCard(journal, command, result.result, outcome);
    else if (step === "finish") applyFinish(journal, result.result, at);
    else if (step === "record") applyRecord(journal, result.result, at, outcome);
  });
  return outcome;
}

function applyRegister(journal: StepJournal, command: CrmCommand, result: unknown, at: string): void {
  const callId = (result as { CALL_ID?: unknown } | null)?.CALL_ID;
  if (typeof callId !== "string" || callId === "") return;
  journal.bxCallId = callId;
  journal.registeredFor = userIdsOf(command)[0];
  journal.register.doneAt = at;
}

function applyCard(journal: StepJournal, command: CrmCommand, result: unknown, outcome: AnswerOutcome): void {
  const users = userIdsOf(command);
  if (result === false) {
    outcome.cardErrors.push({
      code: "CARD_CALL_NOT_FOUND",
      description: `${command.method}: call not found`,
      retryable: false,
    });
  }
  // A show the portal could not place is still counted as shown: the next hide clears it either way,
  // and re-sending it would only repeat the same answer.
  const shown = new Set(journal.cardsShownTo);
  const show = sameMethod(command.method, METHOD.show);
  for (const u of users) {
    if (show) shown.add(u);
    else shown.delete(u);
  }
  journal.cardsShownTo = [...shown].sort((a, b) => a - b);
}

function applyFinish(journal: StepJournal, result: unknown, at: string): void {
  const record = (result ?? {}) as { CRM_ACTIVITY_ID?: unknown };
  journal.finish = { ...journal.finish!, doneAt: at };
  if (record.CRM_ACTIVITY_ID !== undefined && record.CRM_ACTIVITY_ID !== null) {
    journal.finish.activityId = String(record.CRM_ACTIVITY_ID);
  }
  journal.cardsShownTo = []; // finish hides the card itself
}

function applyRecord(journal: StepJournal, result: unknown, at: string, outcome: AnswerOutcome): void {
  const r = (result ?? {}) as { uploadUrl?: unknown; fieldName?: unknown };
  if (typeof r.uploadUrl === "string") {
    outcome.upload = {
      uploadUrl: r.uploadUrl,
      fieldName: typeof r.fieldName === "string" ? r.fieldName : "file",
    };
    return;
  }
  journal.record = { ...journal.record!, doneAt: at };
}

function noteError(
  outcome: AnswerOutcome,
  command: CrmCommand,
  step: JournalStep,
  error: CrmErrorInfo,
  hadFinishIntent: boolean,
): void {
  if (step === "cards") {
    outcome.cardErrors.push(error);
    return;
  }
  if (step === "finish" && isCallNotFound(error) && hadFinishIntent) {
    outcome.checkStatistic = true;
    return;
  }
  if (outcome.failure || outcome.retryable) return; // the first error of the group is the reason
  if (error.retryable) outcome.retryable = error;
  else if (step === "record" && recordFetchMayRecover(error))
    outcome.retryable = { ...error, retryable: true };
  else outcome.failure = { step, error };
}

/**
 * attachRecord RECORD_URL: the portal could not reach this connector's HTTP API (code 0) or it failed
 * (5xx); a later attempt may work. A 403/404 is a configuration problem and fails the call.
 */
export function recordFetchMayRecover(error: CrmErrorInfo): boolean {
  const status = /Server returns HTTP error code (\d+)/i.exec(error.description)?.[1];
  return status !== undefined && (status === "0" || Number(status) >= 500);
}

export function isCallNotFound(error: CrmErrorInfo): boolean {
  return /call is not found/i.test(error.description);
}

function missingAnswer(): CrmErrorInfo {
  return { code: "NO_ANSWER", description: "the batch returned no answer for this command", retryable: true };
}
