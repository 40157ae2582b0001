import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  compareCall,
  type ExpectedCall,
  type JournalFacts,
  type PortalFacts,
} from "../../../core/audit/compareCall.ts";
import { journalFactsOf } from "../../../core/audit/expectedCall.ts";

const expected: ExpectedCall = {
  callId: "1741000000.7",
  startedAt: "2025-03-03T10:00:00.000Z",
  direction: "inbound",
  clientNumber: "74951234567",
  complete: true,
  forCrm: true,
  userId: 3,
  status: "200",
  durationSec: 30,
};
const OPTIONS = { durationToleranceSec: 2 };
const delivered: JournalFacts = {
  state: "delivered",
  bxCallId: "externalCall.a",
  finish: { userId: 3, statusCode: "200", duration: 30 },
};
const portal = (...records: { callId: string; userId?: number; status?: string; durationSec?: number }[]) =>
  ({ checked: true, records }) as PortalFacts;
const unchecked: PortalFacts = { checked: false };
const fine = { callId: "externalCall.a", userId: 3, status: "200", durationSec: 31 };

describe("the audit's verdict on one call", () => {
  it("given the CRM agrees with the records (within the duration tolerance), then no finding", () => {
    assert.equal(compareCall(expected, delivered, portal(fine), OPTIONS), undefined);
    assert.equal(compareCall(expected, delivered, unchecked, OPTIONS), undefined);
  });

  it("given a call still going on or not for the CRM, then it is not compared", () => {
    const none: JournalFacts = { state: "none" };
    assert.equal(compareCall({ ...expected, complete: false }, none, portal(), OPTIONS), undefined);
    assert.equal(compareCall({ ...expected, forCrm: false }, none, portal(), OPTIONS), undefined);
  });

  it("given no journal and no record, then missing, repairable", () => {
    const f = compareCall(expected, { state: "none" }, portal(), OPTIONS);
    assert.deepEqual([f?.problem, f?.repairable], ["missing", true]);
    const g = compareCall(expected, { state: "none" }, unchecked, OPTIONS);
    assert.deepEqual([g?.problem, g?.repairable], ["missing", true]);
  });

  it("given an expired journal but the portal has the call, then no finding (nothing to send)", () => {
    assert.equal(compareCall(expected, { state: "none" }, portal(fine), OPTIONS), undefined);
  });

  it("given a call failed for good, then failed with its reason, repairable even when the portal has half of it", () => {
    const failed: JournalFacts = {
      state: "failed",
      reason: "finish: HELD_TOO_LONG: delivery held for 61 min",
    };
    const f = compareCall(expected, failed, portal(), OPTIONS);
    assert.deepEqual([f?.problem, f?.detail, f?.repairable], ["failed", failed.reason, true]);
  });

  it("given two portal calls for one Asterisk call, then doubled, for a person", () => {
    const f = compareCall(expected, delivered, portal(fine, { ...fine, callId: "externalCall.b" }), OPTIONS);
    assert.deepEqual([f?.problem, f?.repairable], ["doubled", false]);
    assert.match(f!.detail, /externalCall\.a, externalCall\.b/);
  });

  it("given another user, status and a longer talk time in the portal, then wrong with each difference", () => {
    const f = compareCall(
      expected,
      delivered,
      portal({ ...fine, userId: 4, status: "304", durationSec: 40 }),
      OPTIONS,
    );
    assert.equal(f?.problem, "wrong");
    assert.equal(f?.repairable, false);
    assert.deepEqual(f?.differences, [
      { field: "user", expected: 3, actual: 4 },
      { field: "status", expected: "200", actual: "304" },
      { field: "duration", expected: 30, actual: 40 },
    ]);
  });

  it("given no statistics, then the journal's finish is compared instead", () => {
    const journal: JournalFacts = { ...delivered, finish: { userId: 5, statusCode: "200", duration: 30 } };
    assert.deepEqual(compareCall(expected, journal, unchecked, OPTIONS)?.differences, [
      { field: "user", expected: 3, actual: 5 },
    ]);
  });

  it("given the journal says delivered and the portal has no record, then missing for a person (re-sending could double it)", () => {
    const f = compareCall(expected, delivered, portal(), OPTIONS);
    assert.deepEqual([f?.problem, f?.repairable], ["missing", false]);
  });

  it("given delivery still going on, then undelivered (repairable: queued again)", () => {
    const f = compareCall(expected, { state: "pending" }, portal(), OPTIONS);
    assert.deepEqual([f?.problem, f?.repairable], ["undelivered", true]);
  });

  it("given skipped by the workers although the records say it is for the CRM, then missing for a person", () => {
    const f = compareCall(expected, { state: "skipped", reason: "internal" }, portal(), OPTIONS);
    assert.deepEqual([f?.problem, f?.repairable], ["missing", false]);
  });
});

describe("journal facts", () => {
  it("reads none, pending, delivered with finish, failed and skipped; garbage is none", () => {
    assert.deepEqual(journalFactsOf(null), { state: "none" });
    assert.deepEqual(journalFactsOf("{"), { state: "none" });
    assert.deepEqual(journalFactsOf(JSON.stringify({ callId: "x", attempts: 1 })), { state: "pending" });
    assert.deepEqual(
      journalFactsOf(
        JSON.stringify({
          deliveredAt: "t",
          bxCallId: "b",
          finish: { userId: 3, statusCode: "200", duration: 30, doneAt: "t" },
        }),
      ),
      delivered.finish ? { state: "delivered", bxCallId: "b", finish: delivered.finish } : {},
    );
    assert.deepEqual(journalFactsOf(JSON.stringify({ failed: { reason: "r" } })), {
      state: "failed",
      reason: "r",
    });
    assert.deepEqual(journalFactsOf(JSON.stringify({ skipped: { reason: "s" } })), {
      state: "skipped",
      reason: "s",
    });
  });
});
