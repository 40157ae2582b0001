import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cardShownAfterRingSec, firstRingAt, hangupToCrmSec } from "../../../core/metrics/callMetrics.ts";
import type { Leg } from "../../../core/calls/types.ts";

const leg = (ringingAt?: string): Leg => ({
  legId: `l-${ringingAt}`,
  extension: "101",
  purpose: "group",
  dialledAt: "2026-01-01T10:00:00.000Z",
  ...(ringingAt ? { ringingAt } : {}),
});

describe("call figures", () => {
  it("hang-up → CRM: seconds from the end to the delivery; none without an end", () => {
    const at = new Date("2026-01-01T10:00:03.500Z");
    assert.equal(hangupToCrmSec({ endedAt: "2026-01-01T10:00:01.000Z" }, at), 2.5);
    assert.equal(hangupToCrmSec({}, at), undefined);
    assert.equal(
      hangupToCrmSec({ endedAt: "2026-01-01T10:00:05.000Z" }, at),
      0,
      "clock skew: never negative",
    );
  });

  it("the first ring is the earliest ringing leg, or the start without one", () => {
    const startedAt = "2026-01-01T09:59:59.000Z";
    const legs = [leg("2026-01-01T10:00:02.000Z"), leg(), leg("2026-01-01T10:00:01.000Z")];
    assert.equal(firstRingAt({ startedAt, legs }), Date.parse("2026-01-01T10:00:01.000Z"));
    assert.equal(firstRingAt({ startedAt, legs: [leg()] }), Date.parse(startedAt));
  });

  it("card latency: only the card shown with the register of a live call counts", () => {
    const call = { startedAt: "2026-01-01T10:00:00.000Z", legs: [leg("2026-01-01T10:00:01.000Z")] };
    const at = new Date("2026-01-01T10:00:01.400Z");
    const ringing = { ...call, phase: "ringing" as const };
    assert.equal(cardShownAfterRingSec(ringing, false, [], [11], at), 0.4);
    assert.equal(cardShownAfterRingSec(ringing, false, [11], [11, 12], at), undefined, "a later viewer");
    assert.equal(
      cardShownAfterRingSec(ringing, true, [], [12], at),
      undefined,
      "the next of a sequential hunt",
    );
    assert.equal(cardShownAfterRingSec(ringing, false, [], [], at), undefined, "nothing shown");
    assert.equal(
      cardShownAfterRingSec({ ...call, phase: "ended" }, false, [], [11], at),
      undefined,
      "after the end",
    );
  });
});
