import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CallControl } from "../../../app/calls/control.ts";
import { controlPhase, describeTransition } from "../../../app/calls/phase.ts";

const base = (over: Partial<CallControl> = {}): CallControl => ({
  callId: "c1",
  direction: "inbound",
  clientAnswered: false,
  clientNumber: "74951234567",
  lineNumber: "4950000001",
  legs: {},
  aux: [],
  legSeq: 0,
  ...over,
});

describe("the phase of a call as the app controls it", () => {
  test("given the control record, then the phase says where the call stands", () => {
    const ringingLeg = { l1: { extension: "101", purpose: "group" as const, state: "ringing" as const } };
    const upLeg = { l1: { extension: "101", purpose: "group" as const, state: "up" as const } };
    assert.equal(controlPhase(base()), "new");
    assert.equal(controlPhase(base({ ivr: { group: "g", digits: "1", deadline: 0 } })), "ivr");
    assert.equal(controlPhase(base({ legs: ringingLeg })), "ringing");
    assert.equal(controlPhase(base({ legs: upLeg })), "connecting");
    assert.equal(controlPhase(base({ legs: upLeg, talkingLegId: "l1" })), "talking");
    const transfer = { extension: "102", fromExtension: "101", kind: "blind" as const };
    assert.equal(
      controlPhase(base({ legs: upLeg, talkingLegId: "l1", transferTo: transfer })),
      "transferring",
    );
    assert.equal(controlPhase(base({ ending: { hangupBy: "client" } })), "ending");
    assert.equal(controlPhase(base({ ending: { hangupBy: "client" }, ended: true })), "ended");
  });

  test("given an outbound call whose client has not answered, then it is ringing although the operator's own leg is up", () => {
    const direct = { o1: { extension: "117", purpose: "direct" as const, state: "up" as const } };
    assert.equal(controlPhase(base({ direction: "outbound", legs: direct })), "ringing");
    assert.equal(controlPhase(base({ direction: "outbound", legs: direct, clientAnswered: true })), "new");
  });

  test("given a transition, then the log line names what caused it", () => {
    assert.equal(
      describeTransition("ringing", "talking", ["conversationStarted"]),
      "ringing -[conversationStarted]> talking",
    );
    assert.equal(describeTransition("talking", "ending", []), "talking -[change]> ending");
  });
});
