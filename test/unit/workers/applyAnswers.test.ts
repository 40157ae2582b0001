import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyAnswers, withIntents } from "../../../workers/calls/applyAnswers.ts";
import {
  METHOD,
  cardCommand,
  finishCommand,
  refToRegister,
  registerCommand,
  attachRecordCommand,
} from "../../../workers/calls/commands.ts";
import { emptyJournal } from "../../../workers/calls/journal.ts";
import { applyStatistic, findStatisticRecord } from "../../../workers/calls/statisticCheck.ts";
import type { CommandGroup } from "../../../workers/delivery/types.ts";
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
const registerAndShow: CommandGroup = {
  callId: CALL,
  lane: "interactive",
  commands: [register, cardCommand("show", refToRegister(0), [2, 3])],
};
const registerAndFinish: CommandGroup = { callId: CALL, lane: "bulk", commands: [register, finish] };

describe("withIntents", () => {
  it("marks register and finish as intended, with finish's figures, before anything is sent", () => {
    const j = withIntents(emptyJournal(CALL), registerAndFinish, "T1");
    assert.equal(j.register.intentAt, "T1");
    assert.equal(j.register.doneAt, undefined);
    assert.deepEqual(j.finish, { intentAt: "T1", statusCode: "200", duration: 7, userId: 2 });
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
      false,
    );
    assert.equal(out.journal.bxCallId, "externalCall.x");
    assert.equal(out.journal.registeredFor, 2);
    assert.equal(out.journal.register.doneAt, "T2");
    assert.deepEqual(out.journal.cardsShownTo, [2, 3]);
    assert.equal(out.failure, undefined);
  });

  it("given a hide answered, then those users leave cardsShownTo", () => {
    const j = { ...emptyJournal(CALL), cardsShownTo: [2, 3, 4] };
    const group: CommandGroup = {
      callId: CALL,
      lane: "interactive",
      commands: [cardCommand("hide", "bx", [2, 4])],
    };
    const out = applyAnswers(j, group, [{ ok: true, result: true }], "T2", false);
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
      false,
    );
    assert.equal(out.journal.finish?.doneAt, "T2");
    assert.equal(out.journal.finish?.activityId, "77");
    assert.deepEqual(out.journal.cardsShownTo, []);
  });

  it("given register refused (User is not found), then a permanent failure of the register step", () => {
    const error = { code: "ERROR_CORE", description: "User is not found or is not active", retryable: false };
    const out = applyAnswers(
      withIntents(emptyJournal(CALL), registerAndFinish, "T1"),
      registerAndFinish,
      [
        { ok: false, error },
        {
          ok: false,
          error: { code: "ERROR_CORE", description: "CALL_ID must be a string", retryable: false },
        },
      ],
      "T2",
      false,
    );
    assert.deepEqual(out.failure, { step: "register", error });
  });

  it("given 'Call is not found' on a finish that was intended before, then the statistics are checked, no failure", () => {
    const group: CommandGroup = {
      callId: CALL,
      lane: "bulk",
      commands: [finishCommand("bx", { userId: 2, duration: 1, statusCode: "200", addToChat: true })],
    };
    const error = {
      code: "ERROR_CORE",
      description: "Call is not found (call should be registered prior to finishing)",
      retryable: false,
    };
    const out = applyAnswers(emptyJournal(CALL), group, [{ ok: false, error }], "T2", true);
    assert.equal(out.checkStatistic, true);
    assert.equal(out.failure, undefined);
    const fresh = applyAnswers(emptyJournal(CALL), group, [{ ok: false, error }], "T2", false);
    assert.equal(fresh.failure?.step, "finish");
  });

  it("given a retryable error inside the batch, then it is reported as retryable, not as a failure", () => {
    const error = { code: "QUERY_LIMIT_EXCEEDED", description: "Too many", retryable: true };
    const out = applyAnswers(
      emptyJournal(CALL),
      registerAndShow,
      [
        { ok: false, error },
        { ok: false, error },
      ],
      "T2",
      false,
    );
    assert.deepEqual(out.retryable, error);
    assert.equal(out.failure, undefined);
  });

  it("given attachRecord answered with an upload URL, then the upload is asked for and the record is not done yet", () => {
    const group: CommandGroup = {
      callId: CALL,
      lane: "bulk",
      commands: [attachRecordCommand("bx", "x.wav")],
    };
    const intended = withIntents(emptyJournal(CALL), group, "T1", "itgrix/x.wav");
    const out = applyAnswers(
      intended,
      group,
      [{ ok: true, result: { uploadUrl: "https://p/u?token=1", fieldName: "file" } }],
      "T2",
      false,
    );
    assert.deepEqual(out.upload, { uploadUrl: "https://p/u?token=1", fieldName: "file" });
    assert.equal(out.journal.record?.doneAt, undefined);
    assert.equal(out.journal.record?.file, "itgrix/x.wav");
  });

  it("given a card command failing, then it is only reported (the call is not failed)", () => {
    const group: CommandGroup = {
      callId: CALL,
      lane: "interactive",
      commands: [cardCommand("show", "bx", [5])],
    };
    const out = applyAnswers(emptyJournal(CALL), group, [{ ok: true, result: false }], "T2", false);
    assert.equal(out.cardErrors.length, 1);
    assert.equal(out.failure, undefined);
    assert.equal(group.commands[0]!.method, METHOD.show);
  });
});

describe("statistic check", () => {
  it("given a statistic record for the call, then registered and finished with its CALL_ID and activity", () => {
    const record = findStatisticRecord(CALL, {
      ok: true,
      result: [
        {
          CALL_ID: "externalCall.x",
          EXTERNAL_CALL_ID: CALL,
          CRM_ACTIVITY_ID: "9",
          CALL_DURATION: 7,
          PORTAL_USER_ID: 2,
          CALL_FAILED_CODE: "200",
        },
      ],
    });
    const j = applyStatistic({ ...emptyJournal(CALL), register: { intentAt: "T1" } }, record, "T3");
    assert.equal(j.bxCallId, "externalCall.x");
    assert.equal(j.register.doneAt, "T3");
    assert.deepEqual(
      {
        done: j.finish?.doneAt,
        activity: j.finish?.activityId,
        user: j.finish?.userId,
        status: j.finish?.statusCode,
      },
      { done: "T3", activity: "9", user: 2, status: "200" },
    );
  });

  it("given no record, then the unanswered intents are cleared so register (+finish) is planned again", () => {
    const record = findStatisticRecord(CALL, { ok: true, result: [] });
    const j = applyStatistic(
      {
        ...emptyJournal(CALL),
        register: { intentAt: "T1" },
        finish: { intentAt: "T1", statusCode: "200", duration: 1, userId: 2 },
      },
      record,
      "T3",
    );
    assert.deepEqual(j.register, {});
    assert.equal(j.finish, undefined);
  });
});
