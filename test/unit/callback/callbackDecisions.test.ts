/**
 * The callback form's call (direction "callback") through the named decisions: TYPE 4, who it is
 * registered and finished for, and its STATUS_CODE for every way it can end.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  failedReason,
  registerUser,
  responsibleUser,
  statusCode,
  talkDurationSec,
} from "../../../core/calls/decisions/index.ts";
import type { OriginateFailure } from "../../../core/calls/originateFailure.ts";
import { foldCallEvents } from "../../../core/calls/reducer.ts";
import type { CallEvent, ClientResult } from "../../../core/calls/types.ts";
import { callType } from "../../../workers/calls/commands.ts";
import { at, directory, ev } from "../calls/callEvents.ts";

const started: CallEvent = {
  type: "callStarted",
  at: at(0),
  callId: "cb-1",
  direction: "callback",
  clientNumber: "+74951000001",
  lineNumber: "4951110001",
};

/** 102, then 101 ring; 102 takes the callback at 3 s; the client is dialled. */
const taken: CallEvent[] = [
  started,
  ev.dial(0.1, "102"),
  ev.dial(0.2, "101"),
  ev.ring(0.3, "101"),
  ev.ring(0.3, "102"),
  ev.answer(3, "102"),
  ev.end(3.1, "101", "answeredElsewhere"),
];

function endedBeforeClientAnswered(clientResult: ClientResult, hangupBy: "client" | "operator" | "system") {
  return foldCallEvents([...taken, ev.end(20, "102", "answered"), ev.hangup(20, { clientResult, hangupBy })]);
}

describe("callback decisions", () => {
  it("is registered as TYPE 4, for the first CRM user who rings", () => {
    const ringing = foldCallEvents(taken.slice(0, 4));
    assert.equal(callType(ringing), 4);
    assert.deepEqual(registerUser(ringing, directory), { userId: 2, reason: "dialled" });
  });

  it("nobody answered: missed (304), finished for a user who rang", () => {
    const call = foldCallEvents([
      started,
      ev.dial(0.1, "101"),
      ev.ring(0.3, "101"),
      ev.end(30, "101", "noanswer"),
      ev.hangup(30, { clientResult: "noanswer", hangupBy: "system" }),
    ]);
    assert.equal(statusCode(call), "304");
    assert.equal(responsibleUser(call, directory)?.userId, 1);
  });

  it("the client answered and talked 12 s: 200, 12 s, finished for the operator who took it", () => {
    const call = foldCallEvents([
      ...taken,
      ev.clientAnswered(8),
      ev.talk(8, "102"),
      ev.stopTalk(20, "102"),
      ev.end(20, "102", "answered"),
      ev.hangup(20, { clientResult: "answered", hangupBy: "client" }),
    ]);
    assert.equal(statusCode(call), "200");
    assert.equal(talkDurationSec(call), 12);
    assert.deepEqual(responsibleUser(call, directory), { userId: 2, reason: "answered" });
  });

  it("the client was busy / did not answer / was unavailable: 486 / 304 / 480, for the operator who took it", () => {
    const cases: [ClientResult, string][] = [
      ["busy", "486"],
      ["noanswer", "304"],
      ["unavailable", "480"],
    ];
    for (const [clientResult, code] of cases) {
      const call = endedBeforeClientAnswered(clientResult, "client");
      assert.equal(statusCode(call), code, clientResult);
      // 101 was rung last; the one who answered still owns the call.
      assert.deepEqual(responsibleUser(call, directory), { userId: 2, reason: "answered" }, clientResult);
    }
  });

  it("the operator hung up while the client rang: 603-S (cancelled)", () => {
    assert.equal(statusCode(endedBeforeClientAnswered("cancelled", "operator")), "603-S");
  });

  it("the client's leg failed with a decoded reason: that reason's STATUS_CODE and FAILED_REASON", () => {
    const cases: [ClientResult, OriginateFailure, string, RegExp][] = [
      ["busy", { side: "client", reason: "busy", detail: "cause 17 (user busy)" }, "486", /busy \(cause 17/],
      ["unavailable", { side: "client", reason: "trunkFailure", detail: "ARI 404" }, "503", /trunk failure/],
      ["unavailable", { side: "client", reason: "unregistered", detail: "cause 20" }, "480", /unreachable/],
    ];
    for (const [clientResult, clientFailure, code, reason] of cases) {
      const call = foldCallEvents([
        ...taken,
        ev.end(20, "102", "answered"),
        { type: "callEnded", at: at(20), clientResult, hangupBy: "system", clientFailure },
      ]);
      assert.equal(statusCode(call), code, clientFailure.reason);
      assert.match(failedReason(call) ?? "", reason, clientFailure.reason);
      assert.match(failedReason(call) ?? "", /^client \+74951000001: /);
    }
  });

  it("a client failure does not count once the operator cancelled, and nobody taking it stays missed", () => {
    const clientFailure: OriginateFailure = { side: "client", reason: "busy", detail: "cause 17" };
    const cancelled = foldCallEvents([
      ...taken,
      ev.end(20, "102", "answered"),
      { type: "callEnded", at: at(20), clientResult: "cancelled", hangupBy: "operator", clientFailure },
    ]);
    assert.equal(statusCode(cancelled), "603-S");
    assert.equal(failedReason(cancelled), undefined);
    const missed = foldCallEvents([
      started,
      ev.dial(0.1, "101"),
      ev.end(30, "101", "noanswer"),
      ev.hangup(30, { clientResult: "noanswer", hangupBy: "system" }),
    ]);
    assert.equal(statusCode(missed), "304");
    assert.equal(failedReason(missed), undefined);
  });
});
