import { test } from "node:test";
import assert from "node:assert/strict";
import { backoffDelay } from "../../../workers/delivery/backoff.ts";

test("full jitter stays within [0, min(max, base·2^(n-1))]", () => {
  for (let attempt = 1; attempt <= 20; attempt++) {
    const ceiling = Math.min(60_000, 500 * 2 ** (attempt - 1));
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(attempt, 500, 60_000);
      assert.ok(d >= 0 && d <= ceiling, `attempt ${attempt}: ${d} > ${ceiling}`);
    }
    assert.equal(
      backoffDelay(attempt, 500, 60_000, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(attempt, 500, 60_000, () => 0.999999),
      Math.floor(0.999999 * ceiling),
    );
  }
});

test("the ceiling is capped at maxDelayMs for large attempts", () => {
  assert.equal(
    backoffDelay(100, 500, 60_000, () => 0.5),
    30_000,
  );
});
