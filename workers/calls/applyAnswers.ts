import type { CommandResult, CrmCommand, CrmErrorInfo } from "../delivery/types.ts";
import { isPhoneNumberRefusal } from "./phoneNumber.ts";
import { METHOD, sameMethod, userIdsOf } from "./commands.ts";
import type { ExtraMark, JournalStep, StepJournal } from "./journal.ts";
import type { PlannedGroup, PlannedStep } from "./plan.ts";

/**
 * Pure bookkeeping around one sent group: `withIntents` marks what is about to be sent (stored before
 * sending), `applyAnswers` turns the portal's answers into journal facts and tells the reconciler what
 * else to do (upload a file, give up, retry later), `markUnanswered` notes a group whose answer was
 * lost (the portal may have run it). Each command's journal step comes from the plan, never guessed
 * from its method.
 */

export interface AnswerOutcome {
  journal: StepJournal;
  /** attachRecord answered with an upload URL: the file goes there, outside the batch. */
  upload?: { uploadUrl: string; fieldName: string };
  /** A permanent error: the call is failed with this reason. */
  failure?: { step: JournalStep; error: CrmErrorInfo };
  /** A command failed with an error another attempt may fix. */
  retryable?: CrmErrorInfo;
  /** Errors that never fail a call (cards, extra commands, a refused number): logged and counted. */
  commandErrors: CrmErrorInfo[];
}

export function withIntents(
  journal: StepJournal,
  group: PlannedGroup,
  at: string,
  recordFile?: string,
): StepJournal {
  const next = structuredClone(journal);
  group.commands.forEach((command, i) => {
    const planned = group.steps[i]!;
    if (planned.step === "register") {
      const params = next.register.params ?? structuredClone(command.params);
      next.register = {
        ...next.register,
        params,
        intentAt: at,
        firstIntentAt: next.register.firstIntentAt ?? at,
      };
      delete next.register.ambiguousAt;
    } else if (planned.step === "finish") {
      const p = command.params;
      next.finish = {
        intentAt: at,
        statusCode: String(p.STATUS_CODE),
        duration: Number(p.DURATION),
        userId: Number(p.USER_ID),
      };
    } else if (planned.step === "record") {
      const source = group.record;
      const file =
        source?.kind === "file"
          ? source.file
          : source?.kind === "url"
            ? source.fileName
            : (recordFile ?? String(command.params.FILENAME));
      next.record = { intentAt: at, file, ...(source ? { source } : {}) };
    } else if (planned.step === "extra") {
      const mark = { method: command.method, idempotent: planned.idempotent, intentAt: at };
      next.extra = { ...next.extra, [planned.key]: mark };
    }
  });
  return next;
}

/**
 * The group's answer was lost (a timeout, a reset after sending, a 5xx, an unreadable 200): register and
 * finish are marked ambiguous — the planner verifies before sending them again. Cards and attachRecord
 * are left as they were, so the planner sends them again (both are safe to repeat). An extra command
 * that is not idempotent is given up with a note rather than risked twice.
 */
export function markUnanswered(intended: StepJournal, group: PlannedGroup, at: string): StepJournal {
  const next = structuredClone(intended);
  for (const planned of group.steps) {
    if (planned.step === "register") next.register.ambiguousAt = at;
    else if (planned.step === "finish" && next.finish) next.finish.ambiguousAt = at;
    else if (planned.step === "record" && next.record) next.record.ambiguousAt = at;
    else if (planned.step === "extra") markExtraUnanswered(next.extra?.[planned.key], at);
  }
  return next;
}

/** An extra command sent without an answer: re-sent when idempotent, otherwise given up with a note. */
export function markExtraUnanswered(mark: ExtraMark | undefined, at: string): void {
  if (!mark || mark.doneAt || mark.error !== undefined) return;
  if (mark.idempotent) mark.ambiguousAt = at;
  else mark.error = "AMBIGUOUS: no answer, and the command is not safe to send twice";
}

export function applyAnswers(
  before: StepJournal,
  group: PlannedGroup,
  results: CommandResult[],
  at: string,
): AnswerOutcome {
  const journal = structuredClone(before);
  const outcome: AnswerOutcome = { journal, commandErrors: [] };
  group.commands.forEach((command, i) => {
    const planned = group.steps[i]!;
    const result = results[i];
    if (!result) return noteMissing(outcome, planned, at);
    if (!result.ok) return noteError(outcome, command, planned, result.error, at);
    if (planned.step === "register") applyRegister(journal, command, result.result, at);
    else if (planned.step === "cards") applyCard(journal, command, result.result, outcome);
    else if (planned.step === "finish") applyFinish(journal, result.result, at);
    else if (planned.step === "record") applyRecord(journal, result.result, at, outcome);
    else if (planned.step === "extra") applyExtra(journal, planned.key, result.result, at);
  });
  return outcome;
}

function applyRegister(journal: StepJournal, command: CrmCommand, result: unknown, at: string): void {
  const callId = (result as { CALL_ID?: unknown } | null)?.CALL_ID;
  if (typeof callId !== "string" || callId === "") return;
  journal.bxCallId = callId;
  journal.registeredFor = userIdsOf(command)[0];
  journal.register.doneAt = at;
  const entity = result as { CRM_ENTITY_TYPE?: unknown; CRM_ENTITY_ID?: unknown };
  const entityId = Number(entity.CRM_ENTITY_ID);
  if (typeof entity.CRM_ENTITY_TYPE === "string" && entity.CRM_ENTITY_TYPE !== "" && entityId > 0)
    journal.crmEntity = { type: entity.CRM_ENTITY_TYPE, id: entityId };
  delete journal.register.ambiguousAt;
}

function applyCard(journal: StepJournal, command: CrmCommand, result: unknown, outcome: AnswerOutcome): void {
  const users = userIdsOf(command);
  if (result === false) {
    outcome.commandErrors.push({
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
  const { ambiguousAt: _a, notFoundAt: _n, ...finish } = journal.finish!;
  journal.finish = { ...finish, doneAt: at };
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

function applyExtra(journal: StepJournal, key: string, result: unknown, at: string): void {
  const mark = journal.extra?.[key];
  if (!mark) return;
  delete mark.ambiguousAt;
  mark.doneAt = at;
  mark.result = result;
}

/** The batch answered, but not for this command: it is treated like an unanswered one. */
function noteMissing(outcome: AnswerOutcome, planned: PlannedStep, at: string): void {
  const group: PlannedGroup = { callId: "", lane: "bulk", commands: [], steps: [planned] };
  Object.assign(outcome.journal, markUnanswered(outcome.journal, group, at));
  outcome.retryable ??= {
    code: "NO_ANSWER",
    description: "the batch returned no answer for this command",
    retryable: true,
  };
}

function noteError(
  outcome: AnswerOutcome,
  command: CrmCommand,
  planned: PlannedStep,
  error: CrmErrorInfo,
  at: string,
): void {
  const { journal } = outcome;
  if (planned.step === "cards") {
    outcome.commandErrors.push(error);
    return;
  }
  if (planned.step === "extra") {
    outcome.commandErrors.push(error);
    const mark = journal.extra?.[planned.key];
    if (mark && !error.retryable) mark.error = `${error.code}: ${error.description}`;
    else if (mark) delete mark.intentAt; // answered: it did not run; the planner sends it again
    return;
  }
  if (planned.step === "finish" && !journal.register.doneAt) {
    clearIntent(journal, planned); // register+finish: the register's own error decides
    return;
  }
  if (planned.step === "finish" && isCallNotFound(error)) {
    // The live call is gone: an earlier finish may have run (or the portal lost the call). Never a
    // failure and never a blind retry: the planner asks the statistics.
    journal.finish!.notFoundAt = at;
    return;
  }
  clearIntent(journal, planned); // the portal answered: the command did not run
  if (
    planned.step === "register" &&
    isPhoneNumberRefusal(error.description) &&
    !journal.register.refusedNumber
  ) {
    // The planner registers the call again under the placeholder number at once.
    journal.register.refusedNumber = String(command.params.PHONE_NUMBER ?? "");
    outcome.commandErrors.push(error);
    return;
  }
  if (outcome.failure || outcome.retryable) return; // the first error of the group is the reason
  const step = planned.step;
  if (error.retryable) outcome.retryable = error;
  else if (step === "record" && recordFetchMayRecover(error))
    outcome.retryable = { ...error, retryable: true };
  else outcome.failure = { step, error };
}

/**
 * The portal answered a command with an error: it did not run, so nothing is left to verify. A
 * register's stored parameters go too — they were for verifying an unanswered one; the next register
 * is planned afresh (with the placeholder, after a refused number).
 */
function clearIntent(journal: StepJournal, planned: PlannedStep): void {
  if (planned.step === "register" && !journal.register.doneAt) {
    const { refusedNumber } = journal.register;
    journal.register = refusedNumber !== undefined ? { refusedNumber } : {};
    return;
  }
  const mark =
    planned.step === "register"
      ? journal.register
      : planned.step === "finish"
        ? journal.finish
        : planned.step === "record"
          ? journal.record
          : undefined;
  if (mark && !mark.doneAt) {
    delete mark.intentAt;
    delete mark.ambiguousAt;
  }
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
