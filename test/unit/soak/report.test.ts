import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keyKind, redisGrowth } from "../../../soak/redisFigures.ts";
import { correct, reportJson, reportText, targetCheck } from "../../../soak/report.ts";
import type { SoakResult } from "../../../soak/run.ts";

function result(more: Partial<SoakResult["summary"]> = {}, run: Partial<SoakResult> = {}): SoakResult {
  const snapshot = {
    usedMemoryBytes: 1_000_000,
    commands: 0,
    keys: { call: 0 },
    bytesPerKey: {},
    totalKeys: 0,
  };
  return {
    cps: 2,
    minutes: 10,
    workers: 2,
    recordDelivery: "upload",
    achievedCps: 2,
    windowSec: 610,
    settleSec: 3,
    settled: true,
    summary: {
      placed: 1200,
      notPlaced: 0,
      inCrm: 1200,
      lost: 0,
      doubled: 0,
      wrong: 0,
      wrongUser: 0,
      wrongStatus: 0,
      wrongDuration: 0,
      answered: 800,
      recorded: 800,
      noRecording: 0,
      unexpected: 0,
      hangupToCrmMs: { p50: 300, p95: 1500, p99: 2500, max: 4000 },
      cardMs: { p50: 100, p95: 400, max: 900, samples: 2000 },
      ringsWithoutCard: 0,
      transfersNotRung: 0,
      ...more,
    },
    scenarios: { salesRingall: { calls: 1200, problems: 0 } },
    attended: { placed: 30, skipped: 0, failed: 0 },
    processes: [{ name: "app", processes: 1, cpuSec: 60, cpuPercent: 10, peakRssMb: 180 }],
    redis: redisGrowth(
      snapshot,
      {
        usedMemoryBytes: 1_000_000 + 12 * 1048576,
        commands: 120_000,
        keys: { call: 1200 },
        bytesPerKey: { call: 2048 },
        totalKeys: 1200,
      },
      1200,
    ),
    portal: {
      total: 10,
      batches: 5,
      commandsInBatches: 50,
      uploads: 5,
      other: 0,
      refused503: 0,
      perSecondWhilePlacing: 1.5,
      p95RequestMs: 40,
    },
    stages: [{ stage: "client hung up → app recorded the end", p50: 10, p95: 30, max: 50, samples: 1200 }],
    observerEvents: 50_000,
    redisIdleCommandsPerSec: 30,
    problemLines: [],
    died: [],
    ...run,
  };
}

describe("the soak's report", () => {
  it("meets the targets at the target's load with figures inside them", () => {
    const t = targetCheck(result());
    assert.deepEqual(t, {
      atTargetLoad: true,
      lost: true,
      doubled: true,
      wrong: true,
      recordings: true,
      hangupToCrm: true,
      card: true,
    });
    assert.equal(correct(result()), true);
  });

  it("misses them when a call is lost, the latency is too high, or the run was short", () => {
    assert.equal(targetCheck(result({ lost: 1 })).lost, false);
    assert.equal(correct(result({ lost: 1 })), false);
    assert.equal(correct(result({ noRecording: 1 })), false);
    assert.equal(correct(result({}, { died: ["worker 1 (exit 1)"] })), false);
    assert.equal(
      targetCheck(result({ hangupToCrmMs: { p50: 1, p95: 2001, p99: 1, max: 1 } })).hangupToCrm,
      false,
    );
    assert.equal(targetCheck(result({ cardMs: { p50: 1, p95: null, max: null, samples: 0 } })).card, false);
    assert.equal(targetCheck(result({ placed: 60 }, { achievedCps: 1 })).atTargetLoad, false);
  });

  it("prints the table and one JSON line", () => {
    const r = result();
    assert.match(reportText(r), /hang-up → CRM finish p50 \/ p95 \/ p99 +\| 0\.30 s \/ 1\.50 s \/ 2\.50 s/);
    assert.match(reportText(r), /Redis memory per 1000 calls\s+\| 10\.00 MB/);
    assert.match(
      reportText(r),
      /Redis per call: 100 commands \(besides 30\/s when idle\); keys added call 1 \(2\.0 KB\)/,
    );
    const json = reportJson(r);
    assert.doesNotMatch(json, /\n/);
    const parsed = JSON.parse(json) as { soak: SoakResult; met: { hangupToCrm: boolean }; correct: boolean };
    assert.equal(parsed.soak.summary.placed, 1200);
    assert.equal(parsed.met.hangupToCrm, true);
    assert.equal(parsed.correct, true);
  });
});

describe("keyKind", () => {
  it("names a key by its words, without ids", () => {
    assert.equal(keyKind("itgrix-soak:call:1796121679.123", "itgrix-soak"), "call");
    assert.equal(keyKind("itgrix-soak:app:ctl:1796121679.123", "itgrix-soak"), "app:ctl");
    assert.equal(keyKind("itgrix-soak:calls:delivered", "itgrix-soak"), "calls:delivered");
    assert.equal(
      keyKind("itgrix-soak:itgrix-lifecycle:1796121679.123-v3", "itgrix-soak"),
      "itgrix-lifecycle",
    );
  });
});
