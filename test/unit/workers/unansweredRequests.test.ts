import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { emptyJournal, inFlightUntil, type StepJournal } from "../../../workers/calls/journal.ts";
import { adoptOrphanIntents } from "../../../workers/calls/orphanIntents.ts";
import { reopened } from "../../../workers/calls/reprocessRequest.ts";
import { applyCheck, findStatisticRecord } from "../../../workers/calls/statisticCheck.ts";

const CALL = "1741000000.42";
const T = (sec: number) => new Date(Date.parse("2025-03-03T10:00:00.000Z") + sec * 1000);
const iso = (sec: number) => T(sec).toISOString();
const WINDOW = 60_000;
const params = { USER_ID: 2, PHONE_NUMBER: "+74951234567", TYPE: 2, EXTERNAL_CALL_ID: CALL };

const unansweredRegisterAndFinish = (): StepJournal => ({
  ...emptyJournal(CALL),
  register: { intentAt: iso(0), firstIntentAt: iso(0), ambiguousAt: iso(30), params },
  finish: { intentAt: iso(0), ambiguousAt: iso(30), statusCode: "200", duration: 10, userId: 4 },
});
const unansweredFinish = (extra: Partial<NonNullable<StepJournal["finish"]>> = {}): StepJournal => ({
  ...emptyJournal(CALL),
  bxCallId: "externalCall.a",
  registeredFor: 2,
  register: { intentAt: iso(0), doneAt: iso(0), params },
  finish: { intentAt: iso(10), ambiguousAt: iso(12), statusCode: "200", duration: 10, userId: 4, ...extra },
});
const record = (callId: string) => ({
  CALL_ID: callId,
  EXTERNAL_CALL_ID: CALL,
  CRM_ACTIVITY_ID: "9",
  CALL_DURATION: 7,
  PORTAL_USER_ID: 4,
  CALL_FAILED_CODE: "200",
});

describe("the statistic check", () => {
  it("given several records of the call, then the one with the journal's CALL_ID is taken", () => {
    const found = findStatisticRecord(
      { callId: CALL, bxCallId: "externalCall.b" },
      { ok: true, result: [record("externalCall.a"), record("externalCall.b")] },
    );
    assert.equal(found?.CALL_ID, "externalCall.b");
  });

  it("given a record, then registered and finished with its CALL_ID and activity, nothing left unanswered", () => {
    const verdict = applyCheck(unansweredRegisterAndFinish(), record("externalCall.x"), T(40), WINDOW);
    assert.ok("journal" in verdict);
    const j = verdict.journal;
    assert.equal(j.bxCallId, "externalCall.x");
    assert.equal(j.register.doneAt, iso(40));
    assert.equal(j.register.ambiguousAt, undefined);
    assert.deepEqual(
      { done: j.finish?.doneAt, activity: j.finish?.activityId, user: j.finish?.userId },
      { done: iso(40), activity: "9", user: 4 },
    );
  });

  it("given no record while the unanswered register+finish may still run, then come back when its window (from the LAST attempt) ends", () => {
    const verdict = applyCheck(unansweredRegisterAndFinish(), undefined, T(40), WINDOW);
    assert.deepEqual(verdict, { notBeforeMs: T(90).getTime() });
  });

  it("given no record after the window, then the finish intent goes and register keeps its stored parameters", () => {
    const verdict = applyCheck(unansweredRegisterAndFinish(), undefined, T(91), WINDOW);
    assert.ok("journal" in verdict);
    assert.equal(verdict.journal.finish, undefined);
    assert.deepEqual(verdict.journal.register.params, params);
    assert.ok(
      verdict.journal.register.intentAt,
      "register stays unanswered: re-sent with the same parameters",
    );
  });

  it("given no record for an unanswered finish of a registered call, then finish may go again at once (a second finish cannot double a call)", () => {
    const verdict = applyCheck(unansweredFinish(), undefined, T(13), WINDOW);
    assert.ok("journal" in verdict);
    assert.equal(verdict.journal.finish?.intentAt, undefined);
    assert.equal(verdict.journal.bxCallId, "externalCall.a");
  });

  it("given no record after 'Call is not found', then the registration is forgotten and the call is registered again", () => {
    const verdict = applyCheck(unansweredFinish({ notFoundAt: iso(13) }), undefined, T(14), WINDOW);
    assert.ok("journal" in verdict);
    assert.deepEqual(verdict.journal.register, {});
    assert.equal(verdict.journal.bxCallId, undefined);
    assert.equal(verdict.journal.finish, undefined);
  });
});

describe("the in-flight window", () => {
  it("starts at the last attempt: the later of the last intent and its outcome", () => {
    assert.equal(inFlightUntil({ intentAt: iso(0), ambiguousAt: iso(50) }, WINDOW), T(110).getTime());
    assert.equal(inFlightUntil({ intentAt: iso(70), ambiguousAt: iso(50) }, WINDOW), T(130).getTime());
    assert.equal(inFlightUntil({ intentAt: iso(0), doneAt: iso(1) }, WINDOW), 0, "answered: no window");
  });
});

describe("intents a dead worker left", () => {
  it("given intents without an outcome, then they are marked unanswered now (the window covers the dead worker's last attempt)", () => {
    const journal: StepJournal = {
      ...emptyJournal(CALL),
      register: { intentAt: iso(0), params },
      finish: { intentAt: iso(0), statusCode: "200", duration: 1, userId: 2 },
      extra: { notify: { method: "im.notify.personal.add", idempotent: false, intentAt: iso(0) } },
    };
    const adopted = adoptOrphanIntents(journal, iso(100))!;
    assert.equal(adopted.register.ambiguousAt, iso(100));
    assert.equal(adopted.finish?.ambiguousAt, iso(100));
    assert.match(adopted.extra?.notify?.error ?? "", /^AMBIGUOUS/, "not idempotent: never sent twice");
  });

  it("given nothing orphaned (answered, or already marked unanswered), then nothing to adopt", () => {
    assert.equal(adoptOrphanIntents(unansweredRegisterAndFinish(), iso(100)), undefined);
    assert.equal(adoptOrphanIntents(emptyJournal(CALL), iso(100)), undefined);
  });
});

describe("re-processing a failed call", () => {
  it("clears the failed mark, the attempts and the hold clock, and keeps every fact of the CRM", () => {
    const failed: StepJournal = {
      ...unansweredFinish(),
      attempts: 8,
      heldSince: iso(0),
      failed: { reason: "statistic: NO_ANSWER: x", code: "NO_ANSWER", at: iso(20), step: "statistic" },
    };
    const j = reopened(failed, T(30));
    assert.equal(j.failed, undefined);
    assert.equal(j.attempts, 0);
    assert.equal(j.heldSince, undefined);
    assert.deepEqual(j.register, failed.register);
    assert.deepEqual(j.finish, failed.finish);
    assert.equal(j.bxCallId, "externalCall.a");
    assert.deepEqual(j.previousFailures, [{ ...failed.failed, reprocessedAt: iso(30) }]);
  });
});

describe("a rebuilt call without a journal (its journal may have expired)", () => {
  const verifying = (): StepJournal => ({ ...emptyJournal(CALL), verifyFirst: iso(0) });

  it("given the portal has its record, then it is adopted: registered and finished, nothing sent again", () => {
    const verdict = applyCheck(verifying(), record("externalCall.old"), T(5), WINDOW);
    assert.ok("journal" in verdict);
    assert.equal(verdict.journal.verifyFirst, undefined);
    assert.equal(verdict.journal.bxCallId, "externalCall.old");
    assert.equal(verdict.journal.register.doneAt, iso(5));
    assert.equal(verdict.journal.finish?.doneAt, iso(5));
  });

  it("given the portal has no record, then the mark is cleared and nothing else: register+finish follow", () => {
    const verdict = applyCheck(verifying(), undefined, T(5), WINDOW);
    assert.deepEqual(verdict, { journal: emptyJournal(CALL) });
  });
});
