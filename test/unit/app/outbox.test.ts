import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseOutbox } from "../../../app/calls/outbox.ts";
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
