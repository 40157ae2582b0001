import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CardMode } from "../../../core/config/schema.ts";
import { cardAudience } from "../../../core/calls/decisions/index.ts";
import { foldCallEvents } from "../../../core/calls/reducer.ts";
import type { CallEvent } from "../../../core/calls/types.ts";
import { directory, ev } from "./callEvents.ts";
import * as scenario from "./scenarios.ts";

const everyone = (mode: CardMode) => (): CardMode => mode;

/** Audience after the first `n` events of a sequence. */
function audienceAfter(events: CallEvent[], n: number, modeFor: (userId: number) => CardMode): number[] {
  return cardAudience(foldCallEvents(events.slice(0, n)), directory, modeFor);
}

describe("cardAudience during a ring-all of 101, 102, 103 (102 answers)", () => {
  const events = scenario.ringAllSimultaneousAnswers();
  const DIALLED = 4; // callStarted + three legDialled
  const RINGING = 7;
  const TALKING = 10; // 102's conversation started; the others are not hung up yet
  const LOSERS_ENDED = 13;

  it("mode ring: every rung operator before the answer, only the answerer after, nobody after the end", () => {
    const ring = everyone("ring");
    assert.deepEqual(audienceAfter(events, 1, ring), []);
    assert.deepEqual(audienceAfter(events, DIALLED, ring), [1, 2, 3]);
    assert.deepEqual(audienceAfter(events, RINGING, ring), [1, 2, 3]);
    assert.deepEqual(audienceAfter(events, TALKING, ring), [2]);
    assert.deepEqual(audienceAfter(events, LOSERS_ENDED, ring), [2]);
    assert.deepEqual(audienceAfter(events, events.length, ring), []);
  });

  it("mode answer: nobody while ringing, the answerer while talking, nobody after the end", () => {
    const answer = everyone("answer");
    assert.deepEqual(audienceAfter(events, RINGING, answer), []);
    assert.deepEqual(audienceAfter(events, TALKING, answer), [2]);
    assert.deepEqual(audienceAfter(events, events.length, answer), []);
  });

  it("mode off: nobody ever", () => {
    for (let n = 1; n <= events.length; n++) assert.deepEqual(audienceAfter(events, n, everyone("off")), []);
  });

  it("per-user modes: user 1 only on answer, user 3 off", () => {
    const modeFor = (userId: number): CardMode => (userId === 1 ? "answer" : userId === 3 ? "off" : "ring");
    assert.deepEqual(audienceAfter(events, RINGING, modeFor), [2]);
  });
});

describe("cardAudience: who is not offered the call", () => {
  it("skipped operators, ended legs and non-CRM extensions", () => {
    const call = foldCallEvents([
      ev.inbound(0),
      ev.skip(0, "101", "busy"),
      ev.dial(0, "102"),
      ev.dial(0, "103"),
      ev.dial(0, "301"),
      ev.end(3, "103", "rejected"),
    ]);
    assert.deepEqual(cardAudience(call, directory, everyone("ring")), [2]);
  });

  it("the same user on two legs appears once", () => {
    const call = foldCallEvents([
      ev.inbound(0),
      ev.dial(0, "101", "group", "a"),
      ev.dial(0, "101", "group", "b"),
    ]);
    assert.deepEqual(cardAudience(call, directory, everyone("ring")), [1]);
  });
});

describe("cardAudience during transfers (mode ring)", () => {
  const ring = everyone("ring");

  it("blind: the target rings alone, then talks alone", () => {
    const events = scenario.blindTransfer("103");
    assert.deepEqual(audienceAfter(events, 5, ring), [1]);
    assert.deepEqual(audienceAfter(events, 7, ring), []); // 101 transferred away, its channel still up
    assert.deepEqual(audienceAfter(events, 10, ring), [3]);
    assert.deepEqual(audienceAfter(events, 12, ring), [3]);
  });

  it("attended: the operator who talks and the consulted target, then the target only", () => {
    const events = scenario.attendedTransfer();
    assert.deepEqual(audienceAfter(events, 7, ring), [1, 3]); // 103 rings for the consultation
    assert.deepEqual(audienceAfter(events, 8, ring), [1, 3]); // 103 answered the consultation
    assert.deepEqual(audienceAfter(events, 10, ring), [3]);
    assert.deepEqual(audienceAfter(events, 10, everyone("answer")), [3]);
  });
});
