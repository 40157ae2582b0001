/** The reducer: conversations and phases, IVR, recording, and what happens after callEnded. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyCallEvent, foldCallEvents } from "../../../core/calls/reducer.ts";
import { at, ev, legId } from "./callEvents.ts";
import * as scenario from "./scenarios.ts";

describe("applyCallEvent: conversations and phases", () => {
  it("ringing → talking on conversationStarted → ended on callEnded", () => {
    const events = scenario.inboundAnswered();
    const phases = events.map((_, i) => foldCallEvents(events.slice(0, i + 1)).phase);
    assert.deepEqual(phases, [
      "ringing",
      "ringing",
      "ringing",
      "ringing",
      "talking",
      "talking",
      "ended",
      "ended",
      "ended",
    ]);
  });

  it("conversationStarted marks the leg and the client answered", () => {
    const s = foldCallEvents([ev.inbound(0), ev.dial(0, "101"), ev.talk(2, "101")]);
    assert.equal(s.legs[0]!.answeredAt, at(2));
    assert.equal(s.answeredAt, at(2));
    assert.deepEqual(s.conversations, [{ legId: legId("101"), extension: "101", startedAt: at(2) }]);
  });

  it("a blind transfer: talking → ringing while the target rings → talking; two conversations", () => {
    const events = scenario.blindTransfer();
    const upTo = (n: number) => foldCallEvents(events.slice(0, n));
    assert.equal(upTo(5).phase, "talking");
    assert.equal(upTo(7).phase, "ringing"); // 101's conversation ended (transferred)
    assert.equal(upTo(12).phase, "talking");
    const s = foldCallEvents(events);
    assert.deepEqual(s.transfers, [{ at: at(65), kind: "blind", fromExtension: "101", toExtension: "103" }]);
    assert.deepEqual(
      s.conversations.map((c) => [c.extension, c.startedAt, c.endedAt, c.endReason]),
      [
        ["101", at(5), at(65), "transferred"],
        ["103", at(75), at(135), "hangup"],
      ],
    );
  });

  it("an attended transfer closes the transferring conversation when the target's starts", () => {
    const s = foldCallEvents(scenario.attendedTransfer());
    assert.deepEqual(
      s.conversations.map((c) => [c.extension, c.startedAt, c.endedAt, c.endReason]),
      [
        ["101", at(5), at(60), "transferred"],
        ["103", at(60), at(120), "hangup"],
      ],
    );
  });

  it("two simultaneous answers: the first conversation wins, the other leg is answeredElsewhere", () => {
    const s = foldCallEvents(scenario.ringAllSimultaneousAnswers());
    assert.deepEqual(
      s.conversations.map((c) => c.extension),
      ["102"],
    );
    const leg103 = s.legs.find((l) => l.extension === "103")!;
    assert.equal(leg103.answeredAt, at(7));
    assert.equal(leg103.result, "answeredElsewhere");
  });

  it("legEnded closes the leg's open conversation (hangup) when conversationEnded was not sent", () => {
    const s = foldCallEvents([ev.inbound(0), ev.dial(0, "101"), ev.talk(1, "101"), ev.end(9, "101")]);
    assert.deepEqual(s.conversations[0], {
      legId: legId("101"),
      extension: "101",
      startedAt: at(1),
      endedAt: at(9),
      endReason: "hangup",
    });
    assert.equal(s.phase, "ringing");
  });

  it("conversationEnded without an open conversation is a no-op", () => {
    const before = foldCallEvents([ev.inbound(0), ev.dial(0, "101")]);
    const after = applyCallEvent(before, ev.stopTalk(3, "101"));
    assert.deepEqual(after, { ...before, version: 3 });
  });

  it("callEnded closes open conversations at the call's end", () => {
    const s = foldCallEvents([ev.inbound(0), ev.dial(0, "101"), ev.talk(1, "101"), ev.hangup(31)]);
    assert.equal(s.conversations[0]!.endedAt, at(31));
    assert.equal(s.conversations[0]!.endReason, "hangup");
  });

  it("a repeated transferred is recorded once", () => {
    const t = ev.transfer(3, "blind", "101", "102");
    const s = foldCallEvents([ev.inbound(0), ev.dial(0, "101"), ev.talk(1, "101"), t, t]);
    assert.equal(s.transfers.length, 1);
  });
});

describe("applyCallEvent: IVR and recording", () => {
  it("ivrInput → phase ivr; ivrMissed → missed and back to ringing for the group", () => {
    const events = scenario.ivrMissedThenGroup();
    assert.equal(foldCallEvents(events.slice(0, 2)).phase, "ringing");
    assert.equal(foldCallEvents(events.slice(0, 2)).answeredAt, at(0.5));
    assert.equal(foldCallEvents(events.slice(0, 3)).phase, "ivr");
    const missed = foldCallEvents(events.slice(0, 7));
    assert.equal(missed.phase, "ringing");
    assert.deepEqual(missed.ivr, { digits: "105", at: at(5), extension: "105", missed: true });
    assert.equal(foldCallEvents(events).phase, "ended");
  });

  it("recording: started → done with file and duration", () => {
    const s = foldCallEvents(scenario.inboundAnswered());
    assert.deepEqual(s.recording, {
      name: "itgrix-1741000000.42",
      format: "wav",
      startedAt: at(5.05),
      state: "done",
      file: "itgrix/itgrix-1741000000.42.wav",
      durationSec: 60,
    });
  });

  it("recordingFinished without recordingStarted (seen after a restart) creates the recording", () => {
    const s = foldCallEvents([ev.inbound(0), ev.hangup(9), ev.recDone(10, "r1")]);
    assert.deepEqual(s.recording, {
      name: "r1",
      format: "wav",
      startedAt: at(10),
      state: "done",
      file: "itgrix/r1.wav",
    });
  });

  it("recordingFailed records the cause; a failure after done and another name are ignored", () => {
    const failed = foldCallEvents([ev.inbound(0), ev.recStart(1, "r1"), ev.recFail(5, "r1", "disk full")]);
    assert.equal(failed.recording!.state, "failed");
    assert.equal(failed.recording!.failureCause, "disk full");
    const done = foldCallEvents([
      ev.inbound(0),
      ev.recStart(1, "r1"),
      ev.recDone(5, "r1"),
      ev.recFail(6, "r1"),
    ]);
    assert.equal(done.recording!.state, "done");
    const other = foldCallEvents([ev.inbound(0), ev.recStart(1, "r1"), ev.recDone(5, "r2")]);
    assert.equal(other.recording!.state, "recording");
  });
});

describe("applyCallEvent: events after callEnded", () => {
  const ended = () => foldCallEvents([ev.inbound(0), ev.dial(0, "101"), ev.talk(2, "101"), ev.hangup(12)]);

  it("never reopen the call: dial, ring, answer, talk, transfer, clientAnswered, ivrInput are ignored", () => {
    const before = ended();
    let s = before;
    for (const late of [
      ev.dial(13, "102"),
      ev.ring(13, "101"),
      ev.answer(13, "101"),
      ev.talk(13, "101"),
      ev.ring(13, "999"), // unknown leg: ignored after the end, not thrown
      ev.transfer(13, "blind", "101", "102"),
      ev.clientAnswered(13),
      ev.ivrInput(13, "7", "107"),
      ev.recStart(13, "late"),
      ev.hangup(14, { clientResult: "failed" }),
    ]) {
      s = applyCallEvent(s, late);
    }
    assert.deepEqual(s, { ...before, version: before.version + 10 });
  });

  it("a late legEnded fills the leg's end data without touching the closed conversation", () => {
    const s = applyCallEvent(ended(), ev.end(12.5, "101", "answered", 16));
    assert.equal(s.phase, "ended");
    assert.equal(s.legs[0]!.endedAt, at(12.5));
    assert.equal(s.legs[0]!.result, "answered");
    assert.equal(s.conversations[0]!.endedAt, at(12));
  });

  it("a late ivrMissed and recording end are still taken", () => {
    let s = applyCallEvent(ended(), ev.ivrMissed(13, "105"));
    s = applyCallEvent(s, ev.recDone(14, "r1", 10));
    assert.equal(s.phase, "ended");
    assert.equal(s.ivr?.missed, true);
    assert.equal(s.recording?.state, "done");
  });

  it("a second callEnded keeps the first end", () => {
    const s = applyCallEvent(ended(), ev.hangup(20, { hangupBy: "system" }));
    assert.equal(s.endedAt, at(12));
    assert.equal(s.hangupBy, undefined);
  });
});
