import assert from "node:assert/strict";
import { test } from "node:test";
import type { ExpectedCrm } from "../../../bench/expectations.ts";
import {
  crmCompletedAt,
  isSettled,
  percentile,
  requestStats,
  verifyCalls,
  type EmulatorCall,
} from "../../../bench/verifier.ts";

const want = (callId: string, extra: Partial<ExpectedCrm> = {}): ExpectedCrm => ({
  callId,
  scenario: "ringAllAnswered",
  userId: 5,
  statusCode: "200",
  durationSec: 42,
  recording: false,
  ...extra,
});

let next = 1;
const crm = (externalId: string, extra: Partial<EmulatorCall> = {}): EmulatorCall => ({
  CALL_ID: `externalCall.${next++}`,
  EXTERNAL_CALL_ID: externalId,
  USER_ID: 5,
  state: "finished",
  finish: { USER_ID: 5, DURATION: 42, STATUS_CODE: "200", finishedAt: 1000 },
  records: [],
  ...extra,
});

test("given every call once and right, then all are verified", () => {
  const v = verifyCalls([want("a"), want("b")], [crm("a"), crm("b")]);
  assert.deepEqual([v.verified, v.missing, v.duplicates, v.wrong, v.problems.length], [2, 0, 0, 0, 0]);
});

test("given a call the CRM lacks, then it is missing", () => {
  const v = verifyCalls([want("a"), want("b")], [crm("a")]);
  assert.equal(v.missing, 1);
  assert.equal(v.verified, 1);
  assert.deepEqual(
    v.problems.map((p) => [p.callId, p.kind]),
    [["b", "missing"]],
  );
});

test("given a call registered twice, then it is a duplicate and not verified", () => {
  const v = verifyCalls([want("a")], [crm("a"), crm("a"), crm("a")]);
  assert.equal(v.duplicates, 2);
  assert.equal(v.verified, 0);
  assert.equal(v.problems[0]?.kind, "duplicate");
});

test("given the wrong user, status, duration or an unfinished call, then each is reported", () => {
  const calls = [
    crm("user", { finish: { USER_ID: 6, DURATION: 42, STATUS_CODE: "200", finishedAt: 1 } }),
    crm("status", { finish: { USER_ID: 5, DURATION: 42, STATUS_CODE: "304", finishedAt: 1 } }),
    crm("duration", { finish: { USER_ID: 5, DURATION: 41, STATUS_CODE: "200", finishedAt: 1 } }),
    crm("open", { state: "registered", finish: null }),
  ];
  const v = verifyCalls(
    ["user", "status", "duration", "open"].map((id) => want(id)),
    calls,
  );
  assert.equal(v.verified, 0);
  assert.equal(v.wrong, 4);
  assert.deepEqual(
    v.problems.map((p) => `${p.callId}:${p.kind}`),
    ["user:wrongUser", "status:wrongStatus", "duration:wrongDuration", "open:notFinished"],
  );
});

test("given a recording expected, then a call without it is wrong and one with two is a duplicate recording", () => {
  const v = verifyCalls(
    [want("none", { recording: true }), want("two", { recording: true }), want("one", { recording: true })],
    [crm("none"), crm("two", { records: [{ at: 1 }, { at: 2 }] }), crm("one", { records: [{ at: 1 }] })],
  );
  assert.equal(v.verified, 1);
  assert.deepEqual(
    v.problems.map((p) => `${p.callId}:${p.kind}`),
    ["none:noRecording", "two:duplicateRecording"],
  );
});

test("given calls still in flight, then only finished ones with their recording are settled", () => {
  assert.equal(isSettled(want("a"), undefined), false);
  assert.equal(isSettled(want("a"), [crm("a", { state: "registered", finish: null })]), false);
  assert.equal(isSettled(want("a"), [crm("a")]), true);
  assert.equal(isSettled(want("a", { recording: true }), [crm("a")]), false);
  assert.equal(isSettled(want("a", { recording: true }), [crm("a", { records: [{ at: 2000 }] })]), true);
  assert.equal(crmCompletedAt([crm("a", { records: [{ at: 2000 }] })]), 2000);
  assert.equal(crmCompletedAt([crm("a")]), 1000);
});

test("given a request log, then requests, commands and refusals are counted", () => {
  const stats = requestStats([
    { method: "batch", at: 1, status: 200, batchSize: 50 },
    { method: "batch", at: 2, status: 200, batchSize: 12 },
    { method: "batch", at: 3, status: 503, error: "QUERY_LIMIT_EXCEEDED" },
    { method: "upload", at: 4, status: 200 },
    { method: "user.get", at: 5, status: 200 },
    { method: "batch", at: 6, status: 429 },
  ]);
  assert.deepEqual(stats, {
    requests: 6,
    commands: 64,
    batches: 2,
    uploads: 1,
    status503: 1,
    status429: 1,
    otherErrors: 0,
    status503ByMethod: { batch: 1 },
  });
});

test("percentile by nearest rank", () => {
  const values = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
  assert.equal(percentile(values, 50), 5);
  assert.equal(percentile(values, 95), 10);
  assert.equal(percentile(values, 100), 10);
  assert.ok(Number.isNaN(percentile([], 50)));
});
