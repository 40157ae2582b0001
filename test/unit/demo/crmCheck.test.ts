import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PlannedCall } from "../../../demo/callMix.ts";
import {
  checkCalls,
  pendingCalls,
  percentile,
  phoneKey,
  summaryPassed,
  type EmulatorCall,
  type PlacedCall,
} from "../../../demo/crmCheck.ts";

function plan(seq: number, over: Partial<PlannedCall> = {}): PlannedCall {
  return {
    seq,
    scenario: "ringallAnswered",
    direction: "inbound",
    clientNumber: `+7916500000${seq}`,
    did: "74950000001",
    talkMs: 3000,
    extensions: ["101"],
    label: "sales ringall",
    expect: { userIds: [2, 3], statusCode: "200", durationSec: { min: 1, max: 5 } },
    ...over,
  };
}

function crm(
  seq: number,
  over: Partial<EmulatorCall> = {},
  finish: Partial<NonNullable<EmulatorCall["finish"]>> = {},
) {
  return {
    CALL_ID: `externalCall.${seq}`,
    EXTERNAL_CALL_ID: `17000.${seq}`,
    USER_ID: 3,
    PHONE_NUMBER: `+7916500000${seq}`,
    TYPE: 2,
    finish: { STATUS_CODE: "200", DURATION: 3, USER_ID: 3, finishedAt: 10_500, ...finish },
    ...over,
  } satisfies EmulatorCall;
}

const placed = (seq: number, over: Partial<PlannedCall> = {}): PlacedCall => ({
  plan: plan(seq, over),
  endedAt: 10_000,
});

describe("checkCalls", () => {
  it("given every call once with the right user/status/duration, then passed", () => {
    const { summary, verdicts } = checkCalls(
      [placed(1), placed(2)],
      [crm(1), crm(2, {}, { finishedAt: 11_000 })],
    );
    assert.deepEqual(summary, {
      calls: 2,
      inCrm: 2,
      missing: 0,
      duplicates: 0,
      wrongUser: 0,
      wrongStatus: 0,
      p95EndToCrmMs: 1000,
      unfinished: 0,
      wrongType: 0,
      wrongDuration: 0,
      notPlaced: 0,
      unexpected: 0,
    });
    assert.ok(summaryPassed(summary));
    assert.deepEqual(verdicts[0]!.crm, {
      callId: "externalCall.1",
      userId: 3,
      statusCode: "200",
      durationSec: 3,
    });
  });

  it("given a missing, a doubled, a wrong-user and a wrong-status call, then each is counted and it fails", () => {
    const calls = [placed(1), placed(2), placed(3), placed(4)];
    const emu = [
      crm(2),
      crm(2, { CALL_ID: "externalCall.2b", EXTERNAL_CALL_ID: "17000.2b" }),
      crm(3, {}, { USER_ID: 9 }),
      crm(4, {}, { STATUS_CODE: "304" }),
      crm(8),
    ];
    const { summary } = checkCalls(calls, emu);
    assert.equal(summary.missing, 1);
    assert.equal(summary.duplicates, 1);
    assert.equal(summary.wrongUser, 1);
    assert.equal(summary.wrongStatus, 1);
    assert.equal(summary.unexpected, 1);
    assert.equal(summary.inCrm, 3);
    assert.equal(summaryPassed(summary), false);
  });

  it("given an outbound call registered as inbound or a duration out of range, then wrongType/wrongDuration", () => {
    const out = placed(1, { direction: "outbound", clientNumber: "89165000001" });
    const { summary } = checkCalls([out, placed(2)], [crm(1), crm(2, {}, { DURATION: 40 })]);
    assert.equal(summary.wrongType, 1);
    assert.equal(summary.wrongDuration, 1);
    assert.equal(summaryPassed(summary), false);
  });

  it("given a call registered but not finished, or never placed, then not in the CRM", () => {
    const notPlaced: PlacedCall = { plan: plan(2), error: "sipp exited" };
    const { summary } = checkCalls([placed(1), notPlaced], [crm(1, { finish: null })]);
    assert.equal(summary.unfinished, 1);
    assert.equal(summary.notPlaced, 1);
    assert.equal(summary.missing, 2);
    assert.equal(summary.inCrm, 0);
  });

  it("reads string fields as the emulator may store them", () => {
    const { summary } = checkCalls(
      [placed(1)],
      [crm(1, { TYPE: "2", USER_ID: "3" }, { USER_ID: "3", DURATION: "3" })],
    );
    assert.ok(summaryPassed(summary));
  });
});

describe("pendingCalls, phoneKey, percentile", () => {
  it("waits only for placed calls without a finished CRM call", () => {
    const pending = pendingCalls(
      [placed(1), placed(2), { plan: plan(3), error: "x" }],
      [crm(1), crm(2, { finish: null })],
    );
    assert.deepEqual(
      pending.map((p) => p.plan.seq),
      [2],
    );
  });

  it("matches national and international forms of one number", () => {
    assert.equal(phoneKey("89165000001"), phoneKey("+7 (916) 500-00-01"));
    assert.equal(phoneKey(undefined), "");
  });

  it("computes nearest-rank percentiles", () => {
    assert.equal(percentile([], 95), null);
    assert.equal(percentile([5], 95), 5);
    assert.equal(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        95,
      ),
      95,
    );
  });
});
