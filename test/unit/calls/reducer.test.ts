import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CallModelError } from "../../../core/calls/callModelError.ts";
import { applyCallEvent, foldCallEvents } from "../../../core/calls/reducer.ts";
import type { CallEvent, CallState } from "../../../core/calls/types.ts";
import { at, ev, legId } from "./callEvents.ts";
import * as scenario from "./scenarios.ts";

/** Folds like foldCallEvents but freezes every intermediate state, so any mutation of the input throws. */
function foldFrozen(events: CallEvent[]): CallState {
  let state: CallState | undefined;
  for (const event of events) state = deepFreeze(applyCallEvent(state, event));
  return state!;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

const modelError = (code: CallModelError["code"]) => (err: unknown) =>
  err instanceof CallModelError && err.code === code;

describe("applyCallEvent: starting a call", () => {
  it("callStarted creates version 1 in phase ringing with the call's data", () => {
    const state = applyCallEvent(undefined, ev.outbound(0, "101"));
    assert.deepEqual(state, {
      callId: "1741000000.42",
      version: 1,
      direction: "outbound",
      phase: "ringing",
      clientNumber: "84951234567",
      lineNumber: "74950000000",
      originExtension: "101",
      clientChannelId: "chan-client",
      startedAt: at(0),
      legs: [],
      conversations: [],
      transfers: [],
    });
  });

  it("any other event before callStarted throws a CallModelError(callNotStarted)", () => {
    assert.throws(() => applyCallEvent(undefined, ev.dial(0, "101")), modelError("callNotStarted"));
    assert.throws(() => applyCallEvent(undefined, ev.hangup(0)), modelError("callNotStarted"));
  });

  it("a repeated callStarted changes nothing but the version; another call id throws", () => {
    const first = foldCallEvents([ev.inbound(0), ev.dial(1, "101")]);
    const again = applyCallEvent(first, ev.inbound(5));
    assert.deepEqual(again, { ...first, version: 3 });
    const other = { ...ev.inbound(0), callId: "other" } as CallEvent;
    assert.throws(() => applyCallEvent(first, other), modelError("callIdMismatch"));
  });

  it("foldCallEvents without events throws noEvents", () => {
    assert.throws(() => foldCallEvents([]), modelError("noEvents"));
  });
});

describe("applyCallEvent: versions and purity", () => {
  it("every event increments the version by one, ignored ones included", () => {
    const events = scenario.ringAllSimultaneousAnswers();
    let state: CallState | undefined;
    events.forEach((event, i) => {
      state = applyCallEvent(state, event);
      assert.equal(state.version, i + 1);
    });
    assert.equal(applyCallEvent(state, ev.dial(99, "109")).version, events.length + 1);
  });

  it("never mutates the given state (all scenarios fold over frozen states)", () => {
    const { outboundEnded, ...whole } = scenario;
    for (const events of [
      ...Object.values(whole).map((build) => build()),
      outboundEnded({ clientResult: "busy" }),
    ]) {
      assert.deepEqual(foldFrozen(events), foldCallEvents(events));
    }
  });

  it("a state survives a JSON round trip unchanged (no undefined fields)", () => {
    for (const events of [
      scenario.attendedTransfer(),
      scenario.ivrMissedThenGroup(),
      scenario.inboundAnswered(),
    ]) {
      const state = foldCallEvents(events);
      assert.deepEqual(JSON.parse(JSON.stringify(state)), state);
    }
  });
});

describe("applyCallEvent: legs", () => {
  it("records a leg's dial, ring, answer and end with cause and result", () => {
    const s = foldCallEvents(scenario.inboundAnswered());
    assert.deepEqual(s.legs, [
      {
        legId: legId("101"),
        extension: "101",
        purpose: "group",
        dialledAt: at(0.1),
        ringingAt: at(0.3),
        answeredAt: at(5),
        endedAt: at(65.01),
        cause: 16,
        result: "answered",
      },
    ]);
  });

  it("applying the same legAnswered twice keeps the first answeredAt", () => {
    const s = foldCallEvents([ev.inbound(0), ev.dial(0, "101"), ev.answer(3, "101"), ev.answer(4, "101")]);
    assert.equal(s.legs[0]!.answeredAt, at(3));
    assert.equal(s.version, 4);
  });

  it("a repeated legDialled does not add a second leg", () => {
    const s = foldCallEvents([ev.inbound(0), ev.dial(0, "101"), ev.dial(1, "101")]);
    assert.equal(s.legs.length, 1);
    assert.equal(s.legs[0]!.dialledAt, at(0));
  });

  it("a skipped operator gets a synthetic, ended, skipped leg", () => {
    const s = foldCallEvents([ev.inbound(0), ev.skip(1, "101", "busy"), ev.skip(1, "101", "unregistered")]);
    assert.deepEqual(s.legs[0], {
      legId: "skip:101:0",
      extension: "101",
      purpose: "group",
      dialledAt: at(1),
      endedAt: at(1),
      result: "busy",
      skipped: true,
    });
    assert.equal(s.legs[1]!.legId, "skip:101:1");
  });

  it("a leg that never rang has no ringingAt, also when it is answered", () => {
    const s = foldCallEvents(scenario.legThatNeverRang());
    assert.equal(s.legs[0]!.ringingAt, undefined);
    assert.equal(s.legs[0]!.result, "unregistered");
    assert.equal(s.legs[1]!.ringingAt, undefined);
    assert.equal(s.legs[1]!.answeredAt, at(1.5));
  });

  it("an event about an unknown leg throws while the call goes on", () => {
    const s = foldCallEvents([ev.inbound(0), ev.dial(0, "101")]);
    assert.throws(() => applyCallEvent(s, ev.ring(1, "102")), modelError("unknownLeg"));
    assert.throws(() => applyCallEvent(s, ev.talk(1, "102")), modelError("unknownLeg"));
  });

  it("legRinging or legAnswered after the leg ended is ignored", () => {
    const s = foldCallEvents([
      ev.inbound(0),
      ev.dial(0, "101"),
      ev.end(2, "101"),
      ev.ring(3, "101"),
      ev.answer(4, "101"),
    ]);
    assert.equal(s.legs[0]!.ringingAt, undefined);
    assert.equal(s.legs[0]!.answeredAt, undefined);
  });
});
