import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CallEvent } from "../../../core/calls/types.ts";
import { parseOutbox } from "../../../app/calls/outbox.ts";
import { outboxRecord, type QueuedWrite } from "../../../app/calls/outboxRecord.ts";
import { retryDelayMs } from "../../../app/calls/retry.ts";

describe("the outbox file", () => {
  test("given records and a torn last line (a crash mid-write), then the records are read in order and the torn line is skipped", () => {
    const a = { callId: "c1", events: [{ type: "legRinging", at: "t", legId: "l1" }], versions: [3] };
    const b = { callId: "c2", events: [] };
    const text = `${JSON.stringify(a)}\n\n${JSON.stringify(b)}\n{"callId":"c3","eve`;
    assert.deepEqual(parseOutbox(text), [a, b]);
  });

  test("given lines that are JSON but not records, then they are skipped", () => {
    assert.deepEqual(parseOutbox(`{"x":1}\n[1,2]\n"text"\n`), []);
  });
});

describe("retries of a durable write", () => {
  test("given attempts, then the delay doubles from 100 ms and stops at 2 s", () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 50].map(retryDelayMs), [100, 200, 400, 800, 1600, 2000, 2000]);
  });
});

describe("what the outbox keeps of a write", () => {
  const ringing = (legId: string): CallEvent => ({ type: "legRinging", at: "t", legId });
  const started: CallEvent = {
    type: "callStarted",
    at: "t",
    callId: "c1",
    direction: "inbound",
    clientNumber: "1",
    lineNumber: "2",
  };
  const queued = (events: CallEvent[], applied = 0, done = false): QueuedWrite => ({
    write: { events },
    applied,
    done,
  });

  test("given version 7 stored and writes queued ahead, then the entry's events get the versions after theirs", () => {
    const ahead = queued([ringing("a"), ringing("b")], 1); // one of two already stored
    const entry = queued([ringing("c"), ringing("d")]);
    const record = outboxRecord("c1", [ahead, entry], entry, 7);
    assert.deepEqual(record.versions, [9, 10]);
    assert.deepEqual(record.events, [ringing("c"), ringing("d")]);
  });

  test("given a write partly stored, then only its events not stored are kept, numbered from the stored version", () => {
    const entry = queued([ringing("a"), ringing("b"), ringing("c")], 2);
    const record = outboxRecord("c1", [entry], entry, 12);
    assert.deepEqual(record.events, [ringing("c")]);
    assert.deepEqual(record.versions, [13]);
  });

  test("given a new call (nothing stored), then its first write counts from 0; given an unknown start, no versions", () => {
    const first = queued([started, ringing("a")]);
    assert.deepEqual(outboxRecord("c1", [first], first, undefined).versions, [1, 2]);
    const later = queued([ringing("b")]);
    assert.equal(outboxRecord("c1", [later], later, undefined).versions, undefined);
  });
});
