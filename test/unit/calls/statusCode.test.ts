import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  STATUS_CODE_BY_OUTCOME,
  callOutcome,
  statusCode,
  type CallOutcome,
} from "../../../core/calls/decisions/index.ts";
import { foldCallEvents } from "../../../core/calls/reducer.ts";
import type { CallState, ClientResult } from "../../../core/calls/types.ts";
import { ev } from "./callEvents.ts";
import * as scenario from "./scenarios.ts";

const outbound = (end: Parameters<typeof ev.hangup>[1]): CallState =>
  foldCallEvents(scenario.outboundEnded(end));

describe("STATUS_CODE table", () => {
  it("maps every outcome to the Bitrix24 code the issue names", () => {
    assert.deepEqual(STATUS_CODE_BY_OUTCOME, {
      answered: "200",
      missed: "304",
      clientBusy: "486",
      clientNoAnswer: "304",
      operatorCancelled: "603-S",
      clientUnavailable: "480",
      congestion: "503",
      badNumber: "404",
      failed: "OTHER",
    });
  });

  it("every outcome in the table is reachable from some call", () => {
    const calls: CallState[] = [
      foldCallEvents(scenario.inboundAnswered()),
      foldCallEvents(scenario.missedNobodyAnswered()),
      ...(["busy", "noanswer", "cancelled", "unavailable", "congestion", "badNumber", "failed"] as const).map(
        (clientResult) => outbound({ clientResult }),
      ),
    ];
    const reached = new Set<CallOutcome>(calls.map(callOutcome));
    assert.deepEqual([...reached].sort(), Object.keys(STATUS_CODE_BY_OUTCOME).sort());
  });
});

describe("statusCode: outbound", () => {
  const byClientResult: [ClientResult | undefined, string][] = [
    ["answered", "200"],
    ["busy", "486"],
    ["noanswer", "304"],
    ["cancelled", "603-S"],
    ["unavailable", "480"],
    ["congestion", "503"],
    ["badNumber", "404"],
    ["failed", "OTHER"],
    [undefined, "OTHER"],
  ];
  for (const [clientResult, code] of byClientResult) {
    it(`clientResult ${clientResult ?? "unknown"} (system hangup) → ${code}`, () => {
      assert.equal(
        statusCode(outbound({ ...(clientResult ? { clientResult } : {}), hangupBy: "system" })),
        code,
      );
    });
  }

  it("the operator hanging up before the client answered → 603-S, also over a noanswer", () => {
    assert.equal(statusCode(outbound({ hangupBy: "operator" })), "603-S");
    assert.equal(statusCode(outbound({ clientResult: "noanswer", hangupBy: "operator" })), "603-S");
  });

  it("what the network said wins over the operator's hangup (busy stays 486)", () => {
    assert.equal(statusCode(outbound({ clientResult: "busy", hangupBy: "operator" })), "486");
  });

  it("a conversation means answered whatever the clientResult says; an answered one hung up by the operator is 200", () => {
    assert.equal(statusCode(foldCallEvents(scenario.outboundAnswered())), "200");
    assert.equal(statusCode(outbound({ clientResult: "answered", hangupBy: "operator" })), "200");
  });
});

describe("statusCode: inbound and internal", () => {
  it("200 with any conversation, even a zero-length one", () => {
    assert.equal(statusCode(foldCallEvents(scenario.zeroLength())), "200");
  });

  it("304 for every unanswered inbound call: missed, hung up while ringing, IVR caller nobody answered", () => {
    assert.equal(statusCode(foldCallEvents(scenario.missedNobodyAnswered())), "304");
    assert.equal(statusCode(foldCallEvents(scenario.callerHungUpWhileRinging())), "304");
    const ivrOnly = foldCallEvents([
      ev.inbound(0),
      ev.clientAnswered(0.5),
      ev.ivrInput(4, "105", "105"),
      ev.dial(4, "105", "ivr"),
      ev.hangup(10, { clientResult: "answered", hangupBy: "client" }),
    ]);
    assert.equal(statusCode(ivrOnly), "304");
  });

  it("a leg answered without a conversation is not an answered call", () => {
    const call = foldCallEvents([ev.inbound(0), ev.dial(0, "101"), ev.answer(2, "101"), ev.hangup(2.1)]);
    assert.equal(statusCode(call), "304");
  });

  it("internal calls follow the inbound rule", () => {
    assert.equal(statusCode(foldCallEvents(scenario.internalCall())), "200");
    const unanswered = foldCallEvents([ev.internal(0, "101"), ev.dial(0, "102", "direct"), ev.hangup(20)]);
    assert.equal(statusCode(unanswered), "304");
  });
});
