import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyAnswers, markUnanswered, withIntents } from "../../../workers/calls/applyAnswers.ts";
import {
  attachRecordCommand,
  cardCommand,
  finishCommand,
  refToRegister,
  registerCommand,
  stepOfMethod,
} from "../../../workers/calls/commands.ts";
import { emptyJournal, type StepJournal } from "../../../workers/calls/journal.ts";
import { plannedGroup, type PlannedGroup } from "../../../workers/calls/plan.ts";
import { Timeline } from "./callBuilder.ts";

const CALL = "1741000000.42";
const call = new Timeline().dial(1, "101").state();
const register = registerCommand(call, { userId: 2, phoneNumber: "+74951234567", createLeads: true });
const finish = finishCommand(refToRegister(0), {
  userId: 2,
  duration: 7,
  statusCode: "200",
  addToChat: true,
});
const registerAndShow = plannedGroup(CALL, "interactive", [
  register,
  cardCommand("show", refToRegister(0), [2, 3]),
]);
const registerAndFinish = plannedGroup(CALL, "bulk", [register, finish]);
const registered = (extra: Partial<StepJournal> = {}): StepJournal => ({
  ...emptyJournal(CALL),
  bxCallId: "bx",
  register: { intentAt: "T0", doneAt: "T0" },
  ...extra,
});
const notFound = {
  code: "ERROR_CORE",
  description: "Call is not found (call should be registered prior to finishing)",
  retryable: false,
};

describe("withIntents", () => {
  it("marks register and finish as intended, with finish's figures and register's parameters, before anything is sent", () => {
    const j = withIntents(emptyJournal(CALL), registerAndFinish, "T1");
    assert.equal(j.register.intentAt, "T1");
    assert.equal(j.register.firstIntentAt, "T1");
    assert.deepEqual(j.register.params, register.params);
    assert.equal(j.register.doneAt, undefined);
    assert.deepEqual(j.finish, { intentAt: "T1", statusCode: "200", duration: 7, userId: 2 });
  });

  it("given a register sent again, then its first parameters and first intent are kept, the last intent moves", () => {
    const first = markUnanswered(
      withIntents(emptyJournal(CALL), registerAndShow, "T1"),
      registerAndShow,
      "T2",
    );
    const other = registerCommand(call, { userId: 9, phoneNumber: "+7000", createLeads: false });
    const again = withIntents(first, plannedGroup(CALL, "interactive", [other]), "T3");
    assert.deepEqual(again.register.params, register.params, "never recomputed");
    assert.equal(again.register.firstIntentAt, "T1");
    assert.equal(again.register.intentAt, "T3");
    assert.equal(again.register.ambiguousAt, undefined, "the new attempt has no outcome yet");
  });
});

describe("applyAnswers", () => {
  it("given register and show answered, then CALL_ID, the registered user and the shown users are stored", () => {
    const intended = withIntents(emptyJournal(CALL), registerAndShow, "T1");
    const out = applyAnswers(
      intended,
      registerAndShow,
      [
        { ok: true, result: { CALL_ID: "externalCall.x" } },
        { ok: true, result: true },
      ],
      "T2",
    );
    assert.equal(out.journal.bxCallId, "externalCall.x");
    assert.equal(out.journal.registeredFor, 2);
    assert.equal(out.journal.register.doneAt, "T2");
    assert.deepEqual(out.journal.cardsShownTo, [2, 3]);
    assert.equal(out.failure, undefined);
  });

  it("given a hide answered, then those users leave cardsShownTo", () => {
    const j = { ...emptyJournal(CALL), cardsShownTo: [2, 3, 4] };
    const group = plannedGroup(CALL, "interactive", [cardCommand("hide", "bx", [2, 4])]);
    const out = applyAnswers(j, group, [{ ok: true, result: true }], "T2");
    assert.deepEqual(out.journal.cardsShownTo, [3]);
  });

  it("given finish answered, then done with the activity id and no card left", () => {
    const intended = withIntents({ ...emptyJournal(CALL), cardsShownTo: [2] }, registerAndFinish, "T1");
    const out = applyAnswers(
      intended,
      registerAndFinish,
      [
        { ok: true, result: { CALL_ID: "externalCall.x" } },
        { ok: true, result: { CALL_ID: "externalCall.x", CRM_ACTIVITY_ID: 77 } },
      ],
      "T2",
    );
    assert.equal(out.journal.finish?.doneAt, "T2");
    assert.equal(out.journal.finish?.activityId, "77");
    assert.deepEqual(out.journal.cardsShownTo, []);
  });

  it("given register refused (User is not found), then a permanent failure of the register step, and finish's error is only its consequence", () => {
    const error = { code: "ERROR_CORE", description: "User is not found or is not active", retryable: false };
    const out = applyAnswers(
      withIntents(emptyJournal(CALL), registerAndFinish, "T1"),
      registerAndFinish,
      [
        { ok: false, error },
        { ok: false, error: notFound },
      ],
      "T2",
    );
    assert.deepEqual(out.failure, { step: "register", error });
    assert.equal(out.journal.finish?.notFoundAt, undefined);
  });

  it("given 'Call is not found' on a finish of a registered call, then it is noted for the statistics: no failure, no blind retry", () => {
    const group = plannedGroup(CALL, "bulk", [
      finishCommand("bx", { userId: 2, duration: 1, statusCode: "200", addToChat: true }),
    ]);
    const out = applyAnswers(
      withIntents(registered(), group, "T1"),
      group,
      [{ ok: false, error: notFound }],
      "T2",
    );
    assert.equal(out.journal.finish?.notFoundAt, "T2");
    assert.equal(out.failure, undefined);
    assert.equal(out.retryable, undefined);
  });

  it("given a retryable error inside the batch, then it is reported as retryable, and the intent goes (the portal answered: it did not run)", () => {
    const error = { code: "QUERY_LIMIT_EXCEEDED", description: "Too many", retryable: true };
    const out = applyAnswers(
      withIntents(emptyJournal(CALL), registerAndShow, "T1"),
      registerAndShow,
      [
        { ok: false, error },
        { ok: false, error },
      ],
      "T2",
    );
    assert.deepEqual(out.retryable, error);
    assert.equal(out.failure, undefined);
    assert.equal(out.journal.register.intentAt, undefined);
  });

  it("given attachRecord answered with an upload URL, then the upload is asked for and the record is not done yet", () => {
    const group = plannedGroup(CALL, "bulk", [attachRecordCommand("bx", "x.wav")]);
    const intended = withIntents(emptyJournal(CALL), group, "T1", "itgrix/x.wav");
    const out = applyAnswers(
      intended,
      group,
      [{ ok: true, result: { uploadUrl: "https://p/u?token=1", fieldName: "file" } }],
      "T2",
    );
    assert.deepEqual(out.upload, { uploadUrl: "https://p/u?token=1", fieldName: "file" });
    assert.equal(out.journal.record?.doneAt, undefined);
    assert.equal(out.journal.record?.file, "itgrix/x.wav");
  });

  it("given a card command failing, then it is only reported (the call is not failed)", () => {
    const group = plannedGroup(CALL, "interactive", [cardCommand("show", "bx", [5])]);
    const out = applyAnswers(emptyJournal(CALL), group, [{ ok: true, result: false }], "T2");
    assert.equal(out.commandErrors.length, 1);
    assert.equal(out.failure, undefined);
  });

  it("given a batch without an answer for a command, then that step is treated as unanswered", () => {
    const intended = withIntents(emptyJournal(CALL), registerAndFinish, "T1");
    const out = applyAnswers(intended, registerAndFinish, [], "T2");
    assert.equal(out.journal.register.ambiguousAt, "T2");
    assert.equal(out.journal.finish?.ambiguousAt, "T2");
    assert.equal(out.retryable?.code, "NO_ANSWER");
  });
});

describe("commands beyond the reconciler's own", () => {
  const activityUpdate = {
    method: "crm.activity.update",
    params: { id: 5, fields: { COMPLETED: "Y" } },
  };

  it("maps methods explicitly: an unknown method is no step, and a group of core steps refuses it", () => {
    assert.equal(stepOfMethod("TELEPHONY.EXTERNALCALL.HIDE"), "cards");
    assert.equal(stepOfMethod("crm.activity.update"), undefined);
    assert.throws(() => plannedGroup(CALL, "bulk", [activityUpdate]), /not a journal step/);
  });

  it("given a customization's crm.activity.update answered, then it is journaled under its key and the cards are untouched", () => {
    const extra = {
      key: "autoComplete",
      command: activityUpdate,
      after: "finish" as const,
      idempotent: true,
    };
    const group: PlannedGroup = plannedGroup(CALL, "bulk", [], [extra]);
    const before = registered({ cardsShownTo: [4] });
    const intended = withIntents(before, group, "T1");
    assert.deepEqual(intended.extra?.autoComplete, {
      method: "crm.activity.update",
      idempotent: true,
      intentAt: "T1",
    });
    const out = applyAnswers(intended, group, [{ ok: true, result: true }], "T2");
    assert.deepEqual(out.journal.cardsShownTo, [4], "not mistaken for a hide");
    assert.equal(out.journal.extra?.autoComplete?.doneAt, "T2");
    assert.equal(out.journal.extra?.autoComplete?.result, true);
  });

  it("given an extra command without an answer, then an idempotent one waits to be re-sent and any other is given up, never sent twice", () => {
    const notify = { method: "im.notify.personal.add", params: { USER_ID: 3, MESSAGE: "x" } };
    const group = plannedGroup(
      CALL,
      "bulk",
      [],
      [
        { key: "update", command: activityUpdate, after: "finish", idempotent: true },
        { key: "notify", command: notify, after: "finish", idempotent: false },
      ],
    );
    const out = markUnanswered(withIntents(registered(), group, "T1"), group, "T2");
    assert.equal(out.extra?.update?.ambiguousAt, "T2");
    assert.equal(out.extra?.update?.error, undefined);
    assert.match(out.extra?.notify?.error ?? "", /^AMBIGUOUS/);
  });
});

describe("markUnanswered", () => {
  it("marks register and finish ambiguous and leaves the cards as they were (they are planned again)", () => {
    const group = plannedGroup(CALL, "bulk", [cardCommand("hide", "bx", [3]), register, finish]);
    const out = markUnanswered(withIntents(registered({ cardsShownTo: [3] }), group, "T1"), group, "T2");
    assert.equal(out.register.ambiguousAt, "T2");
    assert.equal(out.finish?.ambiguousAt, "T2");
    assert.deepEqual(out.cardsShownTo, [3]);
  });
});

describe("a PHONE_NUMBER the portal refuses", () => {
  const refusal = { code: "ERROR_CORE", description: "Unsupported phone number format", retryable: false };

  it("is noted for the planner (the placeholder goes next), never a failure; finish's error beside it is only its consequence", () => {
    const intended = withIntents(emptyJournal(CALL), registerAndFinish, "T1");
    const out = applyAnswers(
      intended,
      registerAndFinish,
      [
        { ok: false, error: refusal },
        { ok: false, error: notFound },
      ],
      "T2",
    );
    assert.equal(out.failure, undefined);
    assert.equal(out.retryable, undefined);
    assert.deepEqual(out.journal.register, { refusedNumber: "+74951234567" }, "no stored parameters left");
    assert.equal(out.journal.finish?.intentAt, undefined);
  });

  it("given the placeholder refused as well, then the call fails with the portal's reason", () => {
    const once = { ...emptyJournal(CALL), register: { refusedNumber: "+74951234567" } };
    const out = applyAnswers(
      withIntents(once, registerAndShow, "T1"),
      registerAndShow,
      [{ ok: false, error: refusal }],
      "T2",
    );
    assert.deepEqual(out.failure, { step: "register", error: refusal });
  });
});
