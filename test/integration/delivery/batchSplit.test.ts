import { test } from "node:test";
import assert from "node:assert/strict";
import { DeliveryError } from "../../../workers/delivery/deliveryError.ts";
import {
  callsPerExternalId,
  control,
  deliveryFor,
  emulatorState,
  finishedCall,
  testConfig,
  useEmulatorAndRedis,
} from "./harness.ts";

/**
 * A batch refused as a whole with a 4xx did not run: its groups are sent again in halves, down to
 * the one group that carries the bad command, so one bad command never fails another call. The
 * refusal here is a firewall rule in front of the portal (an HTML 400 for a body with a given text).
 */

const setup = useEmulatorAndRedis();

test("given one group whose command a firewall refuses, then the batch is split and only that call fails", async () => {
  await control(setup.emulator.url, "faults", { rejectBodyMatching: "poisoned" });
  const h = deliveryFor(setup.redisUrl, testConfig({ auth: setup.webhook(), batchWaitMs: 100 }));
  const groups = Array.from({ length: 20 }, (_, i) =>
    finishedCall(i === 13 ? "split-poisoned" : `split-${i}`),
  );
  const outcomes = await Promise.allSettled(groups.map((g) => h.delivery.send(g)));
  await h.close();

  outcomes.forEach((o, i) => {
    if (i !== 13) {
      assert.equal(o.status, "fulfilled", `call ${i}: ${String((o as PromiseRejectedResult).reason)}`);
      assert.ok(o.value.every((r) => r.ok));
      return;
    }
    assert.equal(o.status, "rejected");
    const err = o.reason as DeliveryError;
    assert.equal(err.reason, "permanent_error");
    assert.equal(err.lastError.code, "HTTP_400");
  });
  const state = await emulatorState(setup.emulator.url);
  const counts = callsPerExternalId(state, "split-");
  assert.equal(counts.size, 19, "every other call is in the CRM");
  assert.ok(
    [...counts.values()].every((n) => n === 1),
    "none twice",
  );
  const batches = state.requests.filter((r) => r.method === "batch");
  const refused = batches.filter((b) => b.status === 400).length;
  // 20 groups: 20 → 10+10 → 5+5 → 3+2 → 2+1 → 1+1: one refusal per level, two sends per split.
  assert.ok(refused <= 6, `${refused} refused batches`);
  assert.ok(batches.length <= 1 + 2 * 5, `${batches.length} batches for one bad group in 20`);
});

test("given a refusal that is not about one group (every batch refused), then each group ends alone with its refusal", async () => {
  await control(setup.emulator.url, "faults", { rejectBodyMatching: "telephony" });
  const h = deliveryFor(setup.redisUrl, testConfig({ auth: setup.webhook(), batchWaitMs: 100 }));
  const outcomes = await Promise.allSettled(
    Array.from({ length: 4 }, (_, i) => h.delivery.send(finishedCall(`allbad-${i}`))),
  );
  await h.close();
  for (const o of outcomes) {
    assert.equal(o.status, "rejected");
    assert.equal((o.reason as DeliveryError).reason, "permanent_error");
  }
  const batches = (await emulatorState(setup.emulator.url)).requests.filter((r) => r.method === "batch");
  assert.equal(batches.length, 7, "4 → 2+2 → 1+1+1+1");
});
