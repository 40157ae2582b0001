import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dueEvents, type CallProgress } from "../../../core/hooks/events.ts";
import { directory } from "../calls/callEvents.ts";
import * as scenario from "../calls/scenarios.ts";
import { callOf } from "./support.ts";

const finished = { bxCallId: "c1", activityId: "77", userId: 3, duration: 60, statusCode: "200" };

describe("dueEvents", () => {
  it("a live unregistered call has nothing due, except an IVR miss", () => {
    const events = scenario.ivrMissedThenGroup().slice(0, 7); // up to ivrMissed, before the group rings
    const due = dueEvents(callOf(events), {}, new Set(), directory);
    assert.deepEqual(
      due.map((e) => [e.point, e.input]),
      [["onIvrMissed", { extension: "105", digits: "105", userId: 5 }]],
    );
  });

  it("a registered, transferred call: afterRegister, one onAnswer per conversation, one onTransfer per transfer", () => {
    const call = callOf(scenario.blindTransfer());
    const progress: CallProgress = {
      bxCallId: "c1",
      registeredFor: 1,
      crmEntity: { type: "CONTACT", id: 9 },
    };
    const due = dueEvents(call, progress, new Set(), directory);
    assert.deepEqual(
      due.map((e) => e.key),
      ["afterRegister", "onAnswer[leg-101]", "onAnswer[leg-103]", "onTransfer[0]"],
    );
    const transfer = due.find((e) => e.point === "onTransfer");
    assert.deepEqual(transfer?.input, {
      bxCallId: "c1",
      index: 0,
      at: call.transfers[0]!.at,
      kind: "blind",
      fromExtension: "101",
      toExtension: "103",
      fromUserId: 1,
      toUserId: 3,
    });
  });

  it("what already ran is not due again", () => {
    const call = callOf(scenario.blindTransfer());
    const ran = new Set(["afterRegister", "onAnswer[leg-101]", "onTransfer[0]"]);
    const due = dueEvents(call, { bxCallId: "c1", registeredFor: 1 }, ran, directory);
    assert.deepEqual(
      due.map((e) => e.key),
      ["onAnswer[leg-103]"],
    );
  });

  it("onMissed follows finish of an inbound call nobody answered, not of an answered one or an outbound one", () => {
    const progress = { bxCallId: "c1", registeredFor: 1, finished: { ...finished, statusCode: "304" } };
    const missed = dueEvents(callOf(scenario.missedNobodyAnswered()), progress, new Set(), directory);
    assert.deepEqual(
      missed.map((e) => e.point),
      ["afterRegister", "afterFinish", "onMissed"],
    );
    const answered = dueEvents(
      callOf(scenario.inboundAnswered()),
      { ...progress, finished },
      new Set(),
      directory,
    );
    assert.ok(!answered.some((e) => e.point === "onMissed"));
    const outbound = dueEvents(
      callOf(scenario.outboundEnded({ clientResult: "noanswer" })),
      progress,
      new Set(),
      directory,
    );
    assert.ok(!outbound.some((e) => e.point === "onMissed"));
  });

  it("afterAttachRecord after the recording is attached; onCallFailed when the call failed for good", () => {
    const call = callOf(scenario.inboundAnswered());
    const source = { kind: "file" as const, file: "itgrix/x.wav" };
    const done = dueEvents(
      call,
      { bxCallId: "c1", registeredFor: 1, finished, recordAttached: { source } },
      new Set(),
      directory,
    );
    assert.deepEqual(done.at(-1), {
      point: "afterAttachRecord",
      key: "afterAttachRecord",
      input: { bxCallId: "c1", activityId: "77", source },
    });
    const failed = dueEvents(
      call,
      { failed: { step: "register", code: "NO_USER", reason: "r" } },
      new Set(),
      directory,
    );
    assert.deepEqual(
      failed.map((e) => e.point),
      ["onCallFailed"],
    );
  });
});
