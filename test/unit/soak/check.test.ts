import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkCall, checkCalls, type CrmCall, type ObservedCall } from "../../../soak/check.ts";

const userIdOf = (ext: string) => (Number(ext) >= 121 && Number(ext) <= 160 ? Number(ext) - 100 : undefined);

function observed(seq: number, more: Partial<ObservedCall> = {}): ObservedCall {
  return {
    seq,
    scenario: "salesRingall",
    clientNumber: `792600000${String(seq).padStart(2, "0")}`,
    caller: { invitedAt: 0, endedAt: 10_000, end: "callerBye" },
    legs: [
      { extension: "121", rangAt: 1000, result: "cancelled", endedAt: 3000 },
      { extension: "122", rangAt: 1000, answeredAt: 3000, endedAt: 10_000, result: "answered" },
    ],
    expected: { answered: true, statusCode: "200", userIds: [22], durationSec: { min: 5, max: 9 } },
    ...more,
  };
}

function crm(
  seq: number,
  more: Partial<CrmCall> = {},
  finish: Partial<NonNullable<CrmCall["finish"]>> = {},
): CrmCall {
  return {
    CALL_ID: `externalCall.${seq}`,
    PHONE_NUMBER: `+792600000${String(seq).padStart(2, "0")}`,
    finish: { USER_ID: 22, STATUS_CODE: "200", DURATION: 7, finishedAt: 10_800, ...finish },
    cardLog: [
      { action: "show", userId: 21, at: 1200 },
      { action: "show", userId: 22, at: 900 },
      { action: "hide", userId: 21, at: 3100 },
    ],
    records: [{ fileName: "a.wav" }],
    ...more,
  };
}

const kinds = (o: ObservedCall, c: CrmCall[]) => checkCall(o, c, userIdOf).problems.map((p) => p.kind);

describe("checkCall", () => {
  it("given the CRM matches the phones, then no problem, the latency and the card delays", () => {
    const v = checkCall(observed(1), [crm(1)], userIdOf);
    assert.deepEqual(v.problems, []);
    assert.equal(v.hangupToCrmMs, 800);
    // 121 rang at 1000, card at 1200; 122's card was there before its phone rang.
    assert.deepEqual(
      v.cardMs.sort((a, b) => a - b),
      [-100, 200],
    );
    assert.equal(v.ringsWithoutCard, 0);
  });

  it("finds a lost, a doubled and an unfinished call", () => {
    assert.deepEqual(kinds(observed(1), []), ["lost"]);
    assert.deepEqual(kinds(observed(1), [crm(1), crm(1, { CALL_ID: "externalCall.other" })]), ["doubled"]);
    assert.deepEqual(kinds(observed(1), [crm(1, { finish: null })]), ["unfinished"]);
  });

  it("finds a wrong user, status, duration and a missing recording", () => {
    assert.deepEqual(kinds(observed(1), [crm(1, {}, { USER_ID: 21 })]), ["wrongUser"]);
    assert.deepEqual(kinds(observed(1), [crm(1, {}, { STATUS_CODE: "304" })]), ["wrongStatus"]);
    assert.deepEqual(kinds(observed(1), [crm(1, {}, { DURATION: 12 })]), ["wrongDuration"]);
    assert.deepEqual(kinds(observed(1), [crm(1, {}, { DURATION: "4" })]), ["wrongDuration"]);
    assert.deepEqual(kinds(observed(1), [crm(1, { records: [] })]), ["noRecording"]);
  });

  it("does not ask a missed call for a recording, and counts a rung user who never got a card", () => {
    const missed = observed(2, {
      expected: { answered: false, statusCode: "304", userIds: [21, 22], durationSec: { min: 0, max: 2 } },
    });
    const v = checkCall(
      missed,
      [
        crm(
          2,
          { records: [], cardLog: [{ action: "show", userId: 22, at: 1100 }] },
          { STATUS_CODE: 304, DURATION: 0, USER_ID: "21" },
        ),
      ],
      userIdOf,
    );
    assert.deepEqual(v.problems, []);
    assert.equal(v.ringsWithoutCard, 1);
  });

  it("reports a call the harness could not place as such, not as lost", () => {
    assert.deepEqual(kinds(observed(1, { error: "every soak caller port is busy" }), []), ["notPlaced"]);
  });
});

describe("transferNotRung", () => {
  it("flags a REFER after which no phone rang, not one whose target rang", () => {
    const transferred = {
      extension: "147",
      rangAt: 1000,
      answeredAt: 2000,
      transferredAt: 5000,
      result: "answered" as const,
    };
    assert.equal(checkCall(observed(1, { legs: [transferred] }), [crm(1)], userIdOf).transferNotRung, true);
    const target = { extension: "149", rangAt: 5100, result: "open" as const };
    assert.equal(
      checkCall(observed(1, { legs: [transferred, target] }), [crm(1)], userIdOf).transferNotRung,
      false,
    );
  });
});

describe("checkCalls", () => {
  it("matches CRM calls by the client's number and sums up", () => {
    const calls = [observed(1), observed(2), observed(3), observed(4)];
    const portal = [
      crm(1),
      crm(2, {}, { finishedAt: 12_000 }),
      crm(2, { CALL_ID: "externalCall.2b" }),
      crm(4, {}, { USER_ID: 30 }),
      { CALL_ID: "internal", PHONE_NUMBER: "160" },
    ];
    const { summary } = checkCalls(calls, portal, userIdOf);
    assert.equal(summary.placed, 4);
    assert.equal(summary.inCrm, 3);
    assert.equal(summary.lost, 1);
    assert.equal(summary.doubled, 1);
    assert.equal(summary.wrong, 1);
    assert.equal(summary.wrongUser, 1);
    assert.equal(summary.answered, 4);
    assert.equal(summary.recorded, 3);
    assert.equal(summary.unexpected, 1);
    assert.deepEqual(summary.hangupToCrmMs, { p50: 800, p95: 2000, p99: 2000, max: 2000 });
    // Early cards count as 0 ms.
    assert.equal(summary.cardMs.samples, 6);
    assert.equal(summary.cardMs.p95, 200);
  });
});
