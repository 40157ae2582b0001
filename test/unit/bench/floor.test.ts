import assert from "node:assert/strict";
import { test } from "node:test";
import type { ExpectedCrm } from "../../../bench/expectations.ts";
import { rateLimitFloorSec, requestsNeeded, workNeeded } from "../../../bench/floor.ts";

const call = (recording: boolean): ExpectedCrm => ({
  callId: "x",
  scenario: "ringAllAnswered",
  userId: 2,
  statusCode: "200",
  durationSec: 1,
  recording,
});

test("given requests within the burst, then the rate limit costs nothing", () => {
  assert.equal(rateLimitFloorSec(50), 0);
  assert.equal(rateLimitFloorSec(10), 0);
});

test("given requests beyond the burst, then the excess drains at the plan's rate", () => {
  assert.equal(rateLimitFloorSec(51), 0.5);
  assert.equal(rateLimitFloorSec(150), 50);
  assert.equal(rateLimitFloorSec(300, { burst: 250, drainPerSec: 5 }), 10);
});

test("given the work of the calls, then requests are full batches of 50 plus one per upload", () => {
  const work = workNeeded([
    ...Array.from({ length: 990 }, () => call(false)),
    ...Array.from({ length: 10 }, () => call(true)),
  ]);
  assert.deepEqual(work, { commands: 2010, uploads: 10 });
  assert.equal(requestsNeeded(work), 41 + 10);
  assert.equal(requestsNeeded({ commands: 2000, uploads: 0 }), 40);
  assert.equal(requestsNeeded({ commands: 2001, uploads: 0 }), 41);
});

test("given recordings delivered by url, then attachRecord rides in the batches and there is no upload", () => {
  const expected = [
    ...Array.from({ length: 990 }, () => call(false)),
    ...Array.from({ length: 10 }, () => call(true)),
  ];
  const work = workNeeded(expected, "url");
  assert.deepEqual(work, { commands: 2010, uploads: 0 });
  assert.equal(requestsNeeded(work), 41);
});

test("given every answered call recorded, then uploads cost a request each and signed links only commands", () => {
  const expected = [
    ...Array.from({ length: 70 }, () => call(true)),
    ...Array.from({ length: 30 }, () => call(false)),
  ];
  const upload = requestsNeeded(workNeeded(expected, "upload"));
  const url = requestsNeeded(workNeeded(expected, "url"));
  assert.equal(url, Math.ceil((100 * 2 + 70) / 50));
  assert.equal(upload, url + 70);
  assert.equal(rateLimitFloorSec(upload), (upload - 50) / 2);
});
