import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { GroupConfig } from "../../../core/config/schema.ts";
import { orderMembers, ringSecondsFor } from "../../../app/routing/strategy.ts";

const group = (strategy: GroupConfig["strategy"], members: string[]): GroupConfig => ({
  strategy,
  members,
  ringTimeoutSec: 20,
  groupTimeoutSec: 60,
});

describe("group strategies", () => {
  test("ringall and sequential keep the configured order", () => {
    assert.deepEqual(orderMembers(group("ringall", ["103", "101", "102"])), ["103", "101", "102"]);
    assert.deepEqual(orderMembers(group("sequential", ["103", "101", "103"]), { "103": 5 }), ["103", "101"]);
  });

  test("roundrobin offers the least recently offered first, never offered before all", () => {
    const g = group("roundrobin", ["101", "102", "103"]);
    assert.deepEqual(orderMembers(g, { "101": 300, "102": 100, "103": 200 }), ["102", "103", "101"]);
    assert.deepEqual(orderMembers(g, { "101": 300 }), ["102", "103", "101"]);
    assert.deepEqual(orderMembers(g, {}), ["101", "102", "103"]);
  });

  test("given a round of offers, when each offer is stamped, then the rotation is fair", () => {
    const g = group("roundrobin", ["101", "102", "103"]);
    const last: Record<string, number> = {};
    const offered: string[] = [];
    for (let t = 1; t <= 6; t++) {
      const next = orderMembers(g, last)[0]!;
      offered.push(next);
      last[next] = t;
    }
    assert.deepEqual(offered, ["101", "102", "103", "101", "102", "103"]);
  });

  test("an attempt never rings past the group's deadline", () => {
    assert.equal(ringSecondsFor(20, 100_000, 90_000), 10);
    assert.equal(ringSecondsFor(5, 100_000, 10_000), 5);
    assert.equal(ringSecondsFor(5, 100_000, 100_500), 0);
    // The first attempt starts a few ms after the deadline was set: it still rings the full time.
    assert.equal(ringSecondsFor(3, 103_000, 100_004), 3);
  });
});
