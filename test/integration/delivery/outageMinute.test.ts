import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startEmulator } from "../../../emulator/server.ts";
import { startRedis, type TestRedis } from "../../support/redisServer.ts";
import { WEBHOOK_PATH, control, deliveryFor, emulatorState, finishedCall, testConfig } from "./harness.ts";

/**
 * The case at full length: the portal is down for a whole minute while calls keep coming.
 * Retries are capped at 10 s between attempts, so everything is in the CRM soon after the portal is
 * back, and nothing is lost or doubled.
 */
const OUTAGE_MS = Number(process.env.ITGRIX_TEST_LONG_OUTAGE_MS ?? 60_000);

let redisServer: TestRedis;
let emulator: Awaited<ReturnType<typeof startEmulator>>;

before(async () => {
  redisServer = await startRedis();
  emulator = await startEmulator({ port: 0, plan: "standard" });
});
after(async () => {
  await emulator.close();
  await redisServer.stop();
});

test(`given the portal is down for ${OUTAGE_MS / 1000} s, then every call is delivered once after it is back`, async () => {
  const h = deliveryFor(
    redisServer.url,
    testConfig({
      plan: "standard",
      auth: { type: "webhook", webhookUrl: emulator.url + WEBHOOK_PATH },
      retry: { baseDelayMs: 500, maxDelayMs: 10_000, maxAttempts: 40 },
    }),
  );
  await control(emulator.url, "faults", { outageForMs: OUTAGE_MS });
  const started = Date.now();
  // Calls arrive all through the outage, not only at its start.
  const sends: Promise<unknown>[] = [];
  for (let wave = 0; wave < 4; wave++) {
    for (let i = 0; i < 25; i++) sends.push(h.delivery.send(finishedCall(`minute-${wave}-${i}`)));
    await new Promise((r) => setTimeout(r, OUTAGE_MS / 5));
  }
  await Promise.all(sends);
  const took = Date.now() - started;
  await h.close();

  assert.ok(took >= OUTAGE_MS - 100, `delivered after ${took} ms, inside the outage`);
  assert.ok(took <= OUTAGE_MS + 15_000, `recovery took ${took - OUTAGE_MS} ms after the outage`);
  const state = await emulatorState(emulator.url);
  const calls = state.calls.filter((c) => c.EXTERNAL_CALL_ID.startsWith("minute-"));
  assert.equal(calls.length, 100, "every call registered exactly once");
  assert.ok(calls.every((c) => c.state === "finished"));
  assert.ok(
    state.requests.some((r) => r.status === 503),
    "the outage was seen by the pipeline",
  );
});
