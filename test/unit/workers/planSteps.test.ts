import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { emptyJournal, type StepJournal } from "../../../workers/calls/journal.ts";
import { planSteps } from "../../../workers/calls/planSteps.ts";
import { METHOD } from "../../../workers/calls/commands.ts";
import type { Plan, PlannedGroup } from "../../../workers/calls/plan.ts";
import { Timeline, config, directory } from "./callBuilder.ts";

/** The groups of a `send` plan (fails the test for any other kind). */
function groupsOf(plan: Plan): PlannedGroup[] {
  assert.equal(plan.kind, "send", JSON.stringify(plan));
  return plan.kind === "send" ? plan.groups : [];
}

const CALL = "1741000000.42";
const BX = "externalCall.abc.1741000000";

function registered(shown: number[], extra: Partial<StepJournal> = {}): StepJournal {
  return {
    ...emptyJournal(CALL),
    bxCallId: BX,
    registeredFor: 2,
    register: { intentAt: "t", doneAt: "t" },
    cardsShownTo: shown,
    ...extra,
  };
}

function finished(extra: Partial<StepJournal> = {}): StepJournal {
  return registered([], {
    finish: { intentAt: "t", doneAt: "t", statusCode: "200", duration: 20, userId: 3 },
    ...extra,
  });
}

const ringAll = () => new Timeline().dial(1, "101", "102", "103");

describe("planSteps: a live inbound ring-all call", async () => {
  it("given three operators ringing and nothing in the CRM, then register (SHOW=0) and one show to all three, interactive", async () => {
    const plan = await planSteps(ringAll().state(), emptyJournal(CALL), directory, config());
    assert.equal(groupsOf(plan).length, 1);
    const [group] = groupsOf(plan);
    assert.equal(group!.lane, "interactive");
    assert.equal(group!.callId, CALL);
    assert.deepEqual(
      group!.commands.map((c) => c.method),
      [METHOD.register, METHOD.show],
    );
    assert.deepEqual(group!.commands[0]!.params, {
      USER_ID: 2,
      PHONE_NUMBER: "+74951234567",
      TYPE: 2,
      EXTERNAL_CALL_ID: CALL,
      LINE_NUMBER: "74950000000",
      CALL_START_DATE: "2025-03-03T09:00:00+00:00",
      CRM_CREATE: 1,
      SHOW: 0,
    });
    assert.deepEqual(group!.commands[1]!.params, {
      CALL_ID: { $ref: 0, path: ["CALL_ID"] },
      USER_ID: [2, 3, 4],
    });
  });

  it("given crm.createLeads off, then CRM_CREATE is 0", async () => {
    const plan = await planSteps(
      ringAll().state(),
      emptyJournal(CALL),
      directory,
      config({ crm: { createLeads: false } }),
    );
    assert.equal(groupsOf(plan)[0]!.commands[0]!.params.CRM_CREATE, 0);
  });

  it("given the cards are shown, when 102 answers, then one hide for the losers and no show", async () => {
    const call = ringAll().answer(5, "102").state();
    const plan = await planSteps(call, registered([2, 3, 4]), directory, config());
    assert.equal(groupsOf(plan).length, 1);
    assert.equal(groupsOf(plan)[0]!.lane, "interactive");
    assert.deepEqual(groupsOf(plan)[0]!.commands, [
      { method: METHOD.hide, params: { CALL_ID: BX, USER_ID: [2, 4] } },
    ]);
  });

  it("given the journal matches the audience, then nothing is sent and the planner waits for the end", async () => {
    const call = ringAll().answer(5, "102").state();
    const plan = await planSteps(call, registered([3]), directory, config());
    assert.deepEqual(plan, { kind: "wait", for: "callEnd" });
  });

  it("given a new operator is rung later, then a show with only the addition", async () => {
    const call = ringAll().dial(4, "104").state();
    const plan = await planSteps(call, registered([2, 3, 4]), directory, config());
    assert.deepEqual(groupsOf(plan)[0]!.commands, [
      { method: METHOD.show, params: { CALL_ID: BX, USER_ID: [5] } },
    ]);
  });

  it("given the caller is still in the IVR and nobody was rung, then it waits for an operator", async () => {
    const call = new Timeline().ivr(1, "1").state();
    const plan = await planSteps(call, emptyJournal(CALL), directory, config());
    assert.deepEqual(plan, { kind: "wait", for: "operator" });
  });
});

describe("planSteps: the end of a call", async () => {
  it("given an answered call ends, then hide the remaining card and finish with the answerer, talk time and 200, bulk", async () => {
    const call = ringAll().answer(5, "102").endLeg(5, "101", "answeredElsewhere").end(65).state();
    const plan = await planSteps(call, registered([3]), directory, config());
    assert.equal(groupsOf(plan).length, 1);
    const [group] = groupsOf(plan);
    assert.equal(group!.lane, "bulk");
    assert.deepEqual(group!.commands, [
      { method: METHOD.hide, params: { CALL_ID: BX, USER_ID: [3] } },
      {
        method: METHOD.finish,
        params: { CALL_ID: BX, USER_ID: 3, DURATION: 60, STATUS_CODE: "200", ADD_TO_CHAT: 1 },
      },
    ]);
  });

  it("given nobody answered, then finish 304 for the last user rung, with no hide when no card is shown", async () => {
    const call = ringAll().end(30).state();
    const plan = await planSteps(call, registered([]), directory, config({ crm: { addToChat: false } }));
    assert.deepEqual(groupsOf(plan)[0]!.commands, [
      {
        method: METHOD.finish,
        params: { CALL_ID: BX, USER_ID: 4, DURATION: 0, STATUS_CODE: "304", ADD_TO_CHAT: 0 },
      },
    ]);
  });

  it("given the call is over before it was registered, then register and finish in ONE group, finish citing register, no card", async () => {
    const call = ringAll().answer(5, "103").end(15).state();
    const plan = await planSteps(call, emptyJournal(CALL), directory, config());
    assert.equal(groupsOf(plan).length, 1);
    const [group] = groupsOf(plan);
    assert.equal(group!.lane, "bulk");
    assert.deepEqual(
      group!.commands.map((c) => c.method),
      [METHOD.register, METHOD.finish],
    );
    assert.equal(group!.commands[0]!.params.USER_ID, 4);
    assert.equal(group!.commands[0]!.params.SHOW, 0);
    assert.deepEqual(group!.commands[1]!.params, {
      CALL_ID: { $ref: 0, path: ["CALL_ID"] },
      USER_ID: 4,
      DURATION: 10,
      STATUS_CODE: "200",
      ADD_TO_CHAT: 1,
    });
  });

  it("given an IVR call over with no CRM user and no default user, then the call fails with NO_USER", async () => {
    const call = new Timeline().ivr(1, "9").end(10).state();
    const plan = await planSteps(call, emptyJournal(CALL), directory, config());
    assert.equal(plan.kind === "fail" && plan.code, "NO_USER");
  });

  it("given the same call and crm.defaultUserId, then it is registered and finished for the default user, 304", async () => {
    const call = new Timeline().ivr(1, "9").end(10).state();
    const plan = await planSteps(call, emptyJournal(CALL), directory, config({ crm: { defaultUserId: 1 } }));
    const [register, finish] = groupsOf(plan)[0]!.commands;
    assert.equal(register!.params.USER_ID, 1);
    assert.equal(finish!.params.USER_ID, 1);
    assert.equal(finish!.params.STATUS_CODE, "304");
  });
});

describe("planSteps: card modes", async () => {
  it("given mode answer, while ringing, then register without any show", async () => {
    const plan = await planSteps(
      ringAll().state(),
      emptyJournal(CALL),
      directory,
      config({ crm: { cardMode: "answer" } }),
    );
    assert.deepEqual(
      groupsOf(plan)[0]!.commands.map((c) => c.method),
      [METHOD.register],
    );
  });

  it("given mode answer, when 103 answers, then a single show to 103", async () => {
    const call = ringAll().answer(5, "103").state();
    const plan = await planSteps(call, registered([]), directory, config({ crm: { cardMode: "answer" } }));
    assert.deepEqual(groupsOf(plan)[0]!.commands, [
      { method: METHOD.show, params: { CALL_ID: BX, USER_ID: [4] } },
    ]);
  });

  it("given mode off for user 3 (by id) and for extension 103, then only user 2 sees the card", async () => {
    const cfg = config({ crm: { cardModeByUser: { "3": "off", "103": "off" } } });
    const plan = await planSteps(ringAll().state(), emptyJournal(CALL), directory, cfg);
    assert.deepEqual(groupsOf(plan)[0]!.commands[1]!.params.USER_ID, [2]);
  });

  it("given mode off for everyone, then register only and no card command at any time", async () => {
    const cfg = config({ crm: { cardMode: "off" } });
    const live = await planSteps(ringAll().answer(3, "101").state(), registered([]), directory, cfg);
    assert.deepEqual(live, { kind: "wait", for: "callEnd" });
  });
});

describe("planSteps: calls outside the CRM", async () => {
  it("given an internal call, then it is skipped", async () => {
    const call = new Timeline(CALL, "internal", "101").dial(1, "102").state();
    const plan = await planSteps(call, emptyJournal(CALL), directory, config());
    assert.equal(plan.kind, "skip");
    assert.match(plan.kind === "skip" ? plan.reason : "", /internal/);
  });

  it("given crm.registerInternal, then an internal call is registered as outgoing for the caller", async () => {
    const call = new Timeline(CALL, "internal", "101").dial(1, "102").state();
    const plan = await planSteps(
      call,
      emptyJournal(CALL),
      directory,
      config({ crm: { registerInternal: true } }),
    );
    const register = groupsOf(plan)[0]!.commands[0]!;
    assert.equal(register.params.TYPE, 1);
    assert.equal(register.params.USER_ID, 2);
  });

  it("given a failed or skipped journal, then nothing at all", async () => {
    const call = ringAll().state();
    const failed = {
      ...emptyJournal(CALL),
      failed: { reason: "x", code: "ERROR_CORE", at: "t", step: "register" as const },
    };
    assert.deepEqual(await planSteps(call, failed, directory, config()), { kind: "ended" });
    const skipped = { ...emptyJournal(CALL), skipped: { reason: "x", at: "t" } };
    assert.deepEqual(await planSteps(call, skipped, directory, config()), { kind: "ended" });
  });
});

describe("planSteps: outbound", async () => {
  it("given an outbound call from 105 ringing the client, then register TYPE 1 for user 6 without a card", async () => {
    const call = new Timeline(CALL, "outbound", "105").state();
    const plan = await planSteps(call, emptyJournal(CALL), directory, config());
    const [register] = groupsOf(plan)[0]!.commands;
    assert.equal(register!.params.TYPE, 1);
    assert.equal(register!.params.USER_ID, 6);
    assert.equal(groupsOf(plan)[0]!.commands.length, 1);
  });

  it("given the client was busy, then finish 486 for the caller", async () => {
    const call = new Timeline(CALL, "outbound", "105").end(5, { clientResult: "busy" }).state();
    const plan = await planSteps(call, emptyJournal(CALL), directory, config());
    const finish = groupsOf(plan)[0]!.commands[1]!;
    assert.equal(finish.params.STATUS_CODE, "486");
    assert.equal(finish.params.USER_ID, 6);
  });
});

describe("planSteps: the recording", async () => {
  const answeredAndEnded = (rec?: string) => {
    const t = ringAll().answer(5, "102");
    if (rec !== undefined) t.recording(5, rec || undefined);
    return t.end(25).state();
  };

  it("given a finished call with a done wav recording, then attachRecord with FILENAME, bulk", async () => {
    const plan = await planSteps(
      answeredAndEnded("itgrix/1741000000.42.wav"),
      finished(),
      directory,
      config(),
    );
    assert.deepEqual(groupsOf(plan), [
      {
        callId: CALL,
        lane: "bulk",
        commands: [{ method: METHOD.attachRecord, params: { CALL_ID: BX, FILENAME: "1741000000.42.wav" } }],
        steps: [{ step: "record" }],
      },
    ]);
  });

  it("given the recording is still being written, then it waits for it", async () => {
    const plan = await planSteps(answeredAndEnded(""), finished(), directory, config());
    assert.deepEqual(plan, { kind: "wait", for: "recording" });
  });

  it("given the recording is attached, or there is none, then the call is done", async () => {
    const attached = finished({ record: { intentAt: "t", doneAt: "t", file: "itgrix/x.wav" } });
    assert.deepEqual(await planSteps(answeredAndEnded("itgrix/x.wav"), attached, directory, config()), {
      kind: "done",
    });
    assert.deepEqual(await planSteps(answeredAndEnded(), finished(), directory, config()), { kind: "done" });
  });

  it("given a recording in a format the portal refuses, then the recording is skipped with a reason", async () => {
    const plan = await planSteps(answeredAndEnded("itgrix/x.gsm"), finished(), directory, config());
    assert.match(plan.kind === "recordSkip" ? plan.reason : "", /not wav or mp3/);
  });

  it("given the recording is ready before finish, then finish goes first and attachRecord waits for it", async () => {
    const plan = await planSteps(answeredAndEnded("itgrix/x.wav"), registered([]), directory, config());
    assert.deepEqual(
      groupsOf(plan)[0]!.commands.map((c) => c.method),
      [METHOD.finish],
    );
  });
});

describe("planSteps: unanswered requests (a lost answer, a dead worker)", async () => {
  const T = (sec: number) => new Date(Date.parse("2025-03-03T10:00:00.000Z") + sec * 1000);
  const storedParams = {
    USER_ID: 2,
    PHONE_NUMBER: "+74951234567",
    TYPE: 2,
    EXTERNAL_CALL_ID: CALL,
    LINE_NUMBER: "74950000000",
    CALL_START_DATE: "2025-03-03T09:00:00+00:00",
    CRM_CREATE: 1,
    SHOW: 0,
  };
  const unansweredRegister = (intentSec: number, ambiguousSec?: number): StepJournal => ({
    ...emptyJournal(CALL),
    register: {
      intentAt: T(intentSec).toISOString(),
      firstIntentAt: T(0).toISOString(),
      params: storedParams,
      ...(ambiguousSec !== undefined ? { ambiguousAt: T(ambiguousSec).toISOString() } : {}),
    },
  });

  it("given an unanswered register while the call is live, then register goes again with EXACTLY its stored parameters, even after the call moved to another operator", async () => {
    const moved = ringAll().endLeg(3, "101").endLeg(3, "102").endLeg(3, "103").dial(4, "107").state();
    const plan = await planSteps(moved, unansweredRegister(0, 2), directory, config());
    const [group] = groupsOf(plan);
    assert.deepEqual(group!.commands[0], { method: METHOD.register, params: storedParams });
    assert.deepEqual(group!.steps, [{ step: "register" }, { step: "cards" }]);
    assert.deepEqual(group!.commands[1]!.params.USER_ID, [8], "the card goes to whoever rings now");
  });

  it("given an unanswered register and the call is over (no finish went), then the stored register is repeated alone: its portal call, if any, is still live", async () => {
    const over = ringAll().answer(5, "103").end(15).state();
    const plan = await planSteps(over, unansweredRegister(0, 50), directory, config(), { now: T(51) });
    const [group] = groupsOf(plan);
    assert.deepEqual(group!.commands, [{ method: METHOD.register, params: storedParams }]);
    assert.equal(group!.lane, "bulk");
  });

  it("given that register answered, then finish follows for the answerer", async () => {
    const over = ringAll().answer(5, "103").end(15).state();
    const plan = await planSteps(over, registered([]), directory, config());
    const [group] = groupsOf(plan);
    assert.deepEqual(
      group!.commands.map((c) => [c.method, c.params.USER_ID]),
      [[METHOD.finish, 4]],
    );
  });

  it("given an unanswered register+finish, then the statistics are asked first, nothing is sent", async () => {
    const journal = {
      ...unansweredRegister(0, 1),
      finish: { intentAt: T(0).toISOString(), statusCode: "200", duration: 10, userId: 4 },
    };
    const plan = await planSteps(ringAll().answer(5, "103").end(15).state(), journal, directory, config());
    assert.deepEqual(plan, { kind: "check", step: "registerAndFinish" });
  });

  it("given an unanswered finish, or a finish answered 'Call is not found', then the statistics are asked before finish goes again", async () => {
    const over = ringAll().answer(5, "103").end(15).state();
    const pending = registered([], { finish: { intentAt: "t", statusCode: "200", duration: 10, userId: 4 } });
    assert.deepEqual(await planSteps(over, pending, directory, config()), { kind: "check", step: "finish" });
    const notFound = registered([], {
      finish: { intentAt: "t", notFoundAt: "t", statusCode: "200", duration: 10, userId: 4 },
    });
    assert.deepEqual(await planSteps(over, notFound, directory, config()), { kind: "check", step: "finish" });
  });

  it("given an attachRecord intent without its upload, then attachRecord is sent again (it replaces)", async () => {
    const journal = finished({ record: { intentAt: "t", ambiguousAt: "t", file: "itgrix/x.wav" } });
    const t = ringAll().answer(5, "102").recording(5, "itgrix/x.wav").end(25);
    const plan = await planSteps(t.state(), journal, directory, config());
    assert.equal(groupsOf(plan)[0]!.commands[0]!.method, METHOD.attachRecord);
  });
});

describe("planSteps: extra commands by key", async () => {
  const notify = (after: "register" | "finish") => ({
    key: "notify",
    after,
    idempotent: false,
    command: { method: "im.notify.personal.add", params: { USER_ID: 3, MESSAGE: "missed" } },
  });

  it("given an extra command due after finish, then it goes in a bulk group of its own, journaled by its key", async () => {
    const call = ringAll().answer(5, "102").end(25).state();
    const plan = await planSteps(call, finished(), directory, config(), { extras: [notify("finish")] });
    const [group] = groupsOf(plan);
    assert.deepEqual(group!.steps, [{ step: "extra", key: "notify", idempotent: false }]);
    assert.equal(group!.lane, "bulk");
  });

  it("given the extra command was answered, or given up, then it is never planned again", async () => {
    const call = ringAll().answer(5, "102").end(25).state();
    const mark = { method: "im.notify.personal.add", idempotent: false, intentAt: "t" };
    const done = finished({ extra: { notify: { ...mark, doneAt: "t" } } });
    assert.deepEqual(await planSteps(call, done, directory, config(), { extras: [notify("finish")] }), {
      kind: "done",
    });
    const givenUp = finished({ extra: { notify: { ...mark, error: "AMBIGUOUS: …" } } });
    assert.deepEqual(await planSteps(call, givenUp, directory, config(), { extras: [notify("finish")] }), {
      kind: "done",
    });
  });

  it("given an extra command due after register, then it waits for the CALL_ID and rides beside the cards", async () => {
    const live = ringAll().state();
    const before = await planSteps(live, emptyJournal(CALL), directory, config(), {
      extras: [notify("register")],
    });
    assert.equal(groupsOf(before).length, 1, "register first");
    const after = await planSteps(live, registered([2, 3, 4]), directory, config(), {
      extras: [notify("register")],
    });
    assert.deepEqual(
      groupsOf(after).map((g) => g.steps),
      [[{ step: "extra", key: "notify", idempotent: false }]],
    );
  });
});

describe("planSteps: a rebuilt call without a journal", () => {
  it("given verifyFirst, then the statistics are asked before any register", async () => {
    const call = ringAll().answer(5, "102").end(30).state();
    const plan = await planSteps(
      call,
      { ...emptyJournal(CALL), verifyFirst: "2025-03-03T10:00:00Z" },
      directory,
      config(),
    );
    assert.deepEqual(plan, { kind: "check", step: "noJournal" });
    const after = await planSteps(call, emptyJournal(CALL), directory, config());
    assert.equal(after.kind, "send");
  });
});
