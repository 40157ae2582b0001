import assert from "node:assert/strict";
import { test } from "node:test";
import { modesTable, targetVerdict } from "../../../bench/report.ts";
import type { RunResult } from "../../../bench/run.ts";

function run(calls: number, recordDelivery: "upload" | "url", seconds: number, requests: number): RunResult {
  return {
    name: `calls-${calls}-${recordDelivery}`,
    recordDelivery,
    calls,
    workers: 1,
    parallelBatches: 4,
    seconds,
    crmSeconds: seconds,
    verified: calls,
    missing: 0,
    duplicates: 0,
    wrong: 0,
    failedCalls: 0,
    timedOut: false,
    requests,
    commands: 0,
    batches: 0,
    uploads: 0,
    status503: 0,
    status429: 0,
    otherErrors: 0,
    status503ByMethod: {},
    recordings: Math.round(calls * 0.7),
    requestsNeeded: requests,
    floorSeconds: Math.max(0, (requests - 50) / 2),
    peakRssMb: 150,
    peakRssTotalMb: 150,
    delayP50Sec: 1,
    delayP95Sec: 2,
    delayMaxSec: 3,
    problems: [],
  };
}

test("upload and signed-link runs of one call count share a row, each with its floor", () => {
  const table = modesTable([run(1000, "upload", 380, 754), run(1000, "url", 14, 54)])!;
  const row = table.split("\n").find((l) => l.startsWith("| 1000 "))!;
  assert.match(row, /\| 700 +\|/);
  assert.match(row, /\| 380\.0 +\| 352\.0 s +\| 754 +\|/);
  assert.match(row, /\| 14\.0 +\| 2\.0 s +\| 54 +\|/);
});

test("without both modes for a count there is no side-by-side table", () => {
  assert.equal(modesTable([run(100, "url", 3, 8)]), undefined);
});

test("the 1000-call target is judged per mode, with the floor in the reason", () => {
  const verdict = targetVerdict([run(1000, "upload", 380, 754), run(1000, "url", 14, 54)])!;
  const [upload, url] = verdict.split("\n");
  assert.match(upload!, /by upload: MISSED \(1000\/1000 verified in 380\.0 s \(floor 352\.0 s\)/);
  assert.match(url!, /by url: MET/);
});
