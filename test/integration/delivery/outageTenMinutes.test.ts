import { test } from "node:test";
import assert from "node:assert/strict";
import { BitrixClient, type BatchResponse } from "../../../workers/bitrix/client.ts";
import { createWebhookAuth } from "../../../workers/bitrix/webhookAuth.ts";
import { DeliveryError } from "../../../workers/delivery/deliveryError.ts";
import type { CommandGroup } from "../../../workers/delivery/types.ts";
import {
  TestClock,
  WEBHOOK_PATH,
  callsPerExternalId,
  control,
  deliverThroughHolds,
  deliveryFor,
  emulatorState,
  finishedCall,
  testConfig,
  uniquePrefix,
  useEmulatorAndRedis,
} from "./harness.ts";

/**
 * A portal down for ten minutes, clock-controlled: the emulator's host really refuses connections
 * (for a few seconds of wall clock), while the hold's clock — the only thing that decides when the
 * portal counts as unreachable and when it is probed — is moved through ten minutes by the test.
 * Calls before, during and after: none lost, none doubled, none failed; while held, only the probes
 * reach for the portal.
 */

const setup = useEmulatorAndRedis();

/** The real client, counting the batches it tries to send (refused connections included). */
class CountingClient extends BitrixClient {
  attempts = 0;
  override async callBatch(cmds: Record<string, string>, halt?: boolean): Promise<BatchResponse> {
    this.attempts++;
    return super.callBatch(cmds, halt);
  }
}

const calls = (name: string, n: number): CommandGroup[] =>
  Array.from({ length: n }, (_, i) => finishedCall(`${name}-${i}`));

test("given the portal host down for 10 minutes (clock-controlled), then calls are held, probed sparingly, and all delivered once after", async () => {
  const clock = new TestClock();
  const client = new CountingClient({
    auth: createWebhookAuth(setup.emulator.url + WEBHOOK_PATH),
    requestTimeoutMs: 2000,
  });
  const hold = { probeMinMs: 5_000, probeMaxMs: 60_000, unreachableAfterMs: 60_000 };
  const h = deliveryFor(
    setup.redisUrl,
    // Retries of refused connections go on until the hold stops them (no per-call limit reached).
    testConfig({ auth: setup.webhook(), retry: { baseDelayMs: 50, maxDelayMs: 150, maxAttempts: 10_000 } }),
    uniquePrefix("outage10"),
    { client, now: clock.now, hold },
  );
  try {
    const before = await deliverThroughHolds(h.delivery, calls("out10-before", 10), clock, 0, 1);
    assert.equal(before.results.size, 10);

    const outageMs = 10_000; // wall clock; the hold's clock passes 10 minutes meanwhile
    await control(setup.emulator.url, "faults", { outageForMs: outageMs, outageMode: "refuse" });
    const outageStart = Date.now();
    await new Promise((r) => setTimeout(r, 100));

    // Calls arriving as the outage begins: refused connections, re-sent in the pipeline…
    const during = calls("out10-during", 20);
    const first = Promise.allSettled(during.map((g) => h.delivery.send(g)));
    await new Promise((r) => setTimeout(r, 500));
    // …until a minute without any answer has passed: then the portal is held as unreachable.
    clock.advance(61_000);
    const firstOutcomes = await first;
    for (const o of firstOutcomes) {
      assert.equal(o.status, "rejected");
      const err = (o as PromiseRejectedResult).reason as DeliveryError;
      assert.equal(err.reason, "held", `not ${err.reason} (${err.lastError.code}): a fault is a state`);
    }
    const held = (await h.delivery.hold())!;
    assert.equal(held.code, "PORTAL_UNREACHABLE");
    assert.equal(held.kind, "unreachable");
    assert.match(held.description, /CONNECT_FAILED/);

    // Ten minutes, the reconciler bringing every call back each minute: only probes go out.
    const attemptsAtHold = client.attempts;
    for (let minute = 1; minute <= 10; minute++) {
      clock.advance(60_000);
      const round = await Promise.allSettled(during.map((g) => h.delivery.send(g)));
      assert.ok(
        round.every((o) => o.status === "rejected" && (o.reason as DeliveryError).reason === "held"),
        `minute ${minute}: every send held`,
      );
    }
    const probeAttempts = client.attempts - attemptsAtHold;
    assert.ok(probeAttempts >= 5 && probeAttempts <= 12, `${probeAttempts} attempts in 10 held minutes`);
    assert.ok(Date.now() - outageStart < outageMs - 500, "the ten minutes passed inside the real outage");
    const probed = (await h.delivery.hold())!;
    assert.equal(probed.probes, probeAttempts);

    // The host is back: the next probe clears the hold and everything held goes, once.
    await new Promise((r) => setTimeout(r, Math.max(0, outageStart + outageMs + 300 - Date.now())));
    const recoveryStart = Date.now();
    const redelivery = await deliverThroughHolds(h.delivery, during, clock, 60_000, 5);
    assert.deepEqual(redelivery.others, []);
    assert.equal(redelivery.left.length, 0);
    assert.equal(await h.delivery.hold(), null);
    const after = await deliverThroughHolds(h.delivery, calls("out10-after", 10), clock, 0, 1);
    assert.equal(after.results.size, 10);
    process.stdout.write(
      `# outage: held after 61 s (test clock), ${probeAttempts} probe(s) in 10 held minutes, ` +
        `recovered in ${Date.now() - recoveryStart} ms after the host was back\n`,
    );
  } finally {
    await h.close();
  }
  const state = await emulatorState(setup.emulator.url);
  for (const [name, n] of [
    ["out10-before", 10],
    ["out10-during", 20],
    ["out10-after", 10],
  ] as const) {
    const counts = callsPerExternalId(state, `${name}-`);
    assert.equal(counts.size, n, name);
    assert.ok(
      [...counts.values()].every((c) => c === 1),
      `${name}: registered twice`,
    );
  }
  assert.equal(state.calls.filter((c) => c.state !== "finished").length, 0, "every call finished");
});

test("given a portal answering 5xx to everything for a minute, then the first batches are ambiguous, then delivery is held", async () => {
  const clock = new TestClock();
  const h = deliveryFor(setup.redisUrl, testConfig({ auth: setup.webhook() }), uniquePrefix("storm5xx"), {
    now: clock.now,
    hold: { unreachableAfterMs: 60_000, probeMinMs: 5_000 },
  });
  try {
    await control(setup.emulator.url, "faults", { errorRate5xx: 1 });
    const early = await Promise.allSettled([h.delivery.send(finishedCall("storm-1"))]);
    assert.equal(((early[0] as PromiseRejectedResult).reason as DeliveryError).reason, "ambiguous");
    clock.advance(30_000);
    await Promise.allSettled([h.delivery.send(finishedCall("storm-2"))]);
    clock.advance(31_000);
    const tipping = await Promise.allSettled([h.delivery.send(finishedCall("storm-3"))]);
    // The answer that tipped the portal into "unreachable" may have run: still ambiguous, not held.
    assert.equal(((tipping[0] as PromiseRejectedResult).reason as DeliveryError).reason, "ambiguous");
    assert.equal((await h.delivery.hold())?.code, "PORTAL_UNREACHABLE");
    const quiet = (await emulatorState(setup.emulator.url)).requests.length;
    const later = await Promise.allSettled([h.delivery.send(finishedCall("storm-4"))]);
    assert.equal(((later[0] as PromiseRejectedResult).reason as DeliveryError).reason, "held");
    assert.equal((await emulatorState(setup.emulator.url)).requests.length, quiet, "held: nothing sent");
  } finally {
    await control(setup.emulator.url, "faults", { errorRate5xx: 0 });
    await h.close();
  }
});
