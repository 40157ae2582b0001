/** Edge cases of the decisions that the whole-call scenarios do not reach. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  callIsOver,
  isCrmCall,
  registerUser,
  responsibleUser,
  talkDurationSec,
} from "../../../core/calls/decisions/index.ts";
import { foldCallEvents } from "../../../core/calls/reducer.ts";
import type { CallEvent } from "../../../core/calls/types.ts";
import { directory, ev } from "./callEvents.ts";
import * as scenario from "./scenarios.ts";

describe("talkDurationSec", () => {
  it("is 0 without conversations", () => {
    assert.equal(talkDurationSec(foldCallEvents(scenario.missedNobodyAnswered())), 0);
  });

  it("rounds the sum, not each conversation (0.4 s + 0.4 s = 1 s)", () => {
    const call = foldCallEvents([
      ev.inbound(0),
      ev.dial(0, "101"),
      ev.talk(1, "101"),
      ev.transfer(1.4, "blind", "101", "102"),
      ev.stopTalk(1.4, "101", "transferred"),
      ev.dial(1.5, "102", "transfer"),
      ev.talk(2, "102"),
      ev.hangup(2.4),
    ]);
    assert.equal(talkDurationSec(call), 1);
  });

  it("an open conversation counts until the call's end, and not at all while the call goes on", () => {
    const talking = foldCallEvents([ev.inbound(0), ev.dial(0, "101"), ev.talk(2, "101")]);
    assert.equal(talkDurationSec(talking), 0);
    const endedWithoutClose = { ...talking, phase: "ended" as const, endedAt: ev.hangup(12).at };
    assert.equal(talkDurationSec(endedWithoutClose), 10);
  });
});

describe("responsibleUser", () => {
  it("skips a conversation with a non-CRM extension after the CRM user's", () => {
    const call = foldCallEvents(scenario.blindTransfer("301"));
    assert.deepEqual(responsibleUser(call, directory), { userId: 1, reason: "answered" });
  });

  it("the last CRM user rung ignores skipped operators and non-CRM legs", () => {
    const call = foldCallEvents([
      ev.inbound(0),
      ev.dial(0, "101"),
      ev.dial(1, "102"),
      ev.skip(2, "103", "busy"),
      ev.dial(3, "301"),
      ev.hangup(10),
    ]);
    assert.deepEqual(responsibleUser(call, directory), { userId: 2, reason: "rung" });
  });

  it("a leg whose dial failed at once (never rang) is not rung: a missed call stays with who rang", () => {
    const call = foldCallEvents([
      ev.inbound(0),
      ev.dial(0, "101"),
      ev.ring(0.2, "101"),
      ev.end(15, "101", "noanswer", 19),
      ev.dial(15.1, "102"),
      ev.end(15.2, "102", "failed", 0), // originate refused: "originator channel not found"
      ev.dial(15.3, "103"),
      ev.end(15.4, "103", "unregistered", 0),
      ev.hangup(16),
    ]);
    assert.deepEqual(responsibleUser(call, directory), { userId: 1, reason: "rung" });
  });

  it("falls back to the default user, then to undefined", () => {
    const nobody = foldCallEvents([
      ev.inbound(0),
      ev.skip(0, "101", "busy"),
      ev.dial(0, "301"),
      ev.hangup(5),
    ]);
    assert.deepEqual(responsibleUser(nobody, directory, { defaultUserId: 50 }), {
      userId: 50,
      reason: "default",
    });
    assert.equal(responsibleUser(nobody, directory), undefined);
  });

  it("an outbound call of a non-CRM extension falls back to the default user", () => {
    const call = foldCallEvents(
      scenario
        .outboundEnded({ clientResult: "busy" })
        .map((e) => (e.type === "callStarted" ? { ...e, originExtension: "301" } : e)),
    );
    assert.deepEqual(responsibleUser(call, directory, { defaultUserId: 50 }), {
      userId: 50,
      reason: "default",
    });
  });

  it("an inbound call never uses originExtension", () => {
    const call = foldCallEvents([{ ...ev.inbound(0), originExtension: "101" } as CallEvent, ev.hangup(3)]);
    assert.equal(responsibleUser(call, directory), undefined);
  });
});

describe("registerUser", () => {
  it("inbound: the first CRM user dialled, by dial time", () => {
    const call = foldCallEvents([ev.inbound(0), ev.dial(1, "301"), ev.dial(2, "104"), ev.dial(3, "102")]);
    assert.deepEqual(registerUser(call, directory), { userId: 4, reason: "dialled" });
  });

  it("inbound before any leg: nobody yet, even with a default user (a CRM user may still ring)", () => {
    const call = foldCallEvents([ev.inbound(0)]);
    assert.equal(registerUser(call, directory, { defaultUserId: 50 }), undefined);
    assert.equal(registerUser(call, directory), undefined);
  });

  it("outbound: the origin extension's user, else undefined (no default)", () => {
    const call = foldCallEvents(scenario.outboundEnded({ clientResult: "busy" }));
    assert.deepEqual(registerUser(call, directory, { defaultUserId: 50 }), { userId: 1, reason: "origin" });
    const support = foldCallEvents([ev.outbound(0, "301")]);
    assert.equal(registerUser(support, directory, { defaultUserId: 50 }), undefined);
  });
});

describe("isCrmCall and callIsOver", () => {
  it("internal calls are CRM calls only when registerInternal is set", () => {
    const internal = foldCallEvents(scenario.internalCall());
    assert.equal(isCrmCall(internal, { registerInternal: false }), false);
    assert.equal(isCrmCall(internal, { registerInternal: true }), true);
    assert.equal(isCrmCall(foldCallEvents(scenario.inboundAnswered()), { registerInternal: false }), true);
    assert.equal(isCrmCall(foldCallEvents(scenario.outboundAnswered()), { registerInternal: false }), true);
  });

  it("callIsOver only in phase ended", () => {
    const events = scenario.inboundAnswered();
    assert.equal(callIsOver(foldCallEvents(events.slice(0, 6))), false);
    assert.equal(callIsOver(foldCallEvents(events.slice(0, 7))), true);
  });
});
