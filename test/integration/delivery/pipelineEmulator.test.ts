import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeliveryError } from "../../../workers/delivery/deliveryError.ts";
import {
  control,
  countStatus,
  deliveryFor,
  emulatorState,
  finishedCall,
  testConfig,
  useEmulatorAndRedis,
} from "./harness.ts";

const setup = useEmulatorAndRedis();

test("given 60 finished calls, then each is registered and finished once, in batches of ≤ 50", async () => {
  const h = deliveryFor(setup.redisUrl, testConfig({ auth: setup.webhook() }));
  const results = await Promise.all(
    Array.from({ length: 60 }, (_, i) => h.delivery.send(finishedCall(`basic-${i}`))),
  );
  await h.close();
  for (const r of results)
    assert.ok(
      r.every((c) => c.ok),
      JSON.stringify(r),
    );
  const state = await emulatorState(setup.emulator.url);
  const batches = state.requests.filter((r) => r.method === "batch");
  assert.ok(batches.every((b) => (b.batchSize ?? 0) <= 50));
  assert.equal(
    batches.reduce((n, b) => n + (b.batchSize ?? 0), 0),
    120,
  );
  const finished = state.calls.filter(
    (c) => c.EXTERNAL_CALL_ID.startsWith("basic-") && c.state === "finished",
  );
  assert.equal(finished.length, 60);
});

test("given a command failing inside a batch, then only its call is affected", async () => {
  const h = deliveryFor(setup.redisUrl, testConfig({ auth: setup.webhook(), batchWaitMs: 50 }));
  const [a, bad, b] = await Promise.all([
    h.delivery.send(finishedCall("mixed-a")),
    h.delivery.send(finishedCall("mixed-bad", 999)),
    h.delivery.send(finishedCall("mixed-b")),
  ]);
  await h.close();
  assert.ok(a!.every((r) => r.ok) && b!.every((r) => r.ok));
  assert.equal(!bad![0]!.ok && bad![0]!.error.code, "ERROR_CORE");
  assert.equal(!bad![1]!.ok && bad![1]!.error.code, "DEPENDENCY_FAILED");
  const state = await emulatorState(setup.emulator.url);
  assert.equal(state.requests.filter((r) => r.method === "batch").length, 1);
});

test("given matching limits, when 300 commands flow, then the portal never answers 503", async () => {
  const limit = { burst: 8, drainPerSec: 5 };
  await control(setup.emulator.url, "config", { rateLimit: limit });
  const h = deliveryFor(
    setup.redisUrl,
    testConfig({ auth: setup.webhook(), rateLimit: limit, batchMaxCommands: 10, parallelBatches: 4 }),
  );
  const results = await Promise.all(
    Array.from({ length: 150 }, (_, i) => h.delivery.send(finishedCall(`clean-${i}`))),
  );
  await h.close();
  assert.ok(results.every((r) => r.every((c) => c.ok)));
  const state = await emulatorState(setup.emulator.url);
  assert.equal(countStatus(state, 503), 0);
  assert.equal(state.requests.filter((r) => r.method === "batch").length, 30);
});

test("given a portal bucket smaller than configured (503 storm), then all is delivered with few 503s", async (t) => {
  await control(setup.emulator.url, "config", { rateLimit: { burst: 5, drainPerSec: 5 } });
  const h = deliveryFor(
    setup.redisUrl,
    testConfig({
      auth: setup.webhook(),
      rateLimit: { burst: 50, drainPerSec: 5 },
      batchMaxCommands: 10,
      parallelBatches: 4,
    }),
  );
  const results = await Promise.all(
    Array.from({ length: 150 }, (_, i) => h.delivery.send(finishedCall(`storm-${i}`))),
  );
  await h.close();
  assert.ok(results.every((r) => r.every((c) => c.ok)));
  const state = await emulatorState(setup.emulator.url);
  const n503 = countStatus(state, 503);
  t.diagnostic(`${n503} answers 503 for 30 batches`);
  assert.ok(n503 > 0, "the storm did not happen");
  assert.ok(n503 <= 12, `${n503} answers 503 for 30 batches`);
  const finished = state.calls.filter(
    (c) => c.EXTERNAL_CALL_ID.startsWith("storm-") && c.state === "finished",
  );
  assert.equal(finished.length, 150);
});

for (const mode of ["503", "drop"] as const) {
  test(`given a portal outage (${mode}), then each batch is rejected as ambiguous once and never re-sent`, async () => {
    const h = deliveryFor(
      setup.redisUrl,
      testConfig({ auth: setup.webhook(), retry: { baseDelayMs: 100, maxDelayMs: 1000, maxAttempts: 100 } }),
    );
    await control(setup.emulator.url, "faults", { outageForMs: 60_000, outageMode: mode });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 80 }, (_, i) => h.delivery.send(finishedCall(`outage-${mode}-${i}`))),
    );
    assert.equal(h.delivery.stats().lastErrorCode, mode === "503" ? "SERVICE_UNAVAILABLE" : "NETWORK");
    await h.close();
    await control(setup.emulator.url, "faults", { outageForMs: 0 });
    for (const o of outcomes) {
      assert.equal(o.status, "rejected");
      assert.equal(((o as PromiseRejectedResult).reason as DeliveryError).reason, "ambiguous");
    }
    const state = await emulatorState(setup.emulator.url);
    const batches = state.requests.filter((r) => r.method === "batch" || r.error === "DROPPED");
    assert.equal(batches.length, 4, "160 commands: 4 batches, each sent once");
  });
}

test("given a hanging portal, then the request times out, is rejected as ambiguous and not re-sent", async () => {
  const h = deliveryFor(setup.redisUrl, testConfig({ auth: setup.webhook(), requestTimeoutMs: 300 }));
  await control(setup.emulator.url, "faults", { hang: true });
  const err = await h.delivery.send(finishedCall("hang-1")).catch((e: unknown) => e);
  await control(setup.emulator.url, "faults", { hang: false });
  await h.close();
  assert.ok(err instanceof DeliveryError && err.reason === "ambiguous", String(err));
  assert.equal(err.lastError.code, "TIMEOUT");
  const state = await emulatorState(setup.emulator.url);
  assert.equal(state.requests.length, 1);
  assert.equal(state.requests[0]!.error, "HANG");
});

test("given a portal that refuses every connection, then retries end with retries_exhausted and the last error", async () => {
  const h = deliveryFor(
    setup.redisUrl,
    testConfig({
      auth: { type: "webhook", webhookUrl: "http://127.0.0.1:9/rest/1/x/" },
      retry: { baseDelayMs: 10, maxDelayMs: 20, maxAttempts: 3 },
    }),
  );
  await assert.rejects(
    h.delivery.send(finishedCall("exhaust-1")),
    (e: unknown) =>
      e instanceof DeliveryError &&
      e.reason === "retries_exhausted" &&
      e.lastError.code === "CONNECT_FAILED" &&
      e.attempts === 3,
  );
  await h.close();
});

test("given a wrong webhook secret, then the group is held at once and the secret is nowhere in the error", async () => {
  const h = deliveryFor(
    setup.redisUrl,
    testConfig({ auth: { type: "webhook", webhookUrl: `${setup.emulator.url}/rest/1/wrong-secret-xyz/` } }),
  );
  const err = await h.delivery.send(finishedCall("authfail-1")).catch((e: unknown) => e as DeliveryError);
  assert.ok(err instanceof DeliveryError && err.reason === "held", String(err));
  assert.equal(err.lastError.code, "INVALID_CREDENTIALS");
  assert.equal(h.delivery.stats().authState, "failed");
  assert.ok(
    !JSON.stringify({ m: err.message, e: err.lastError, s: h.delivery.stats() }).includes("wrong-secret-xyz"),
  );
  await h.close();
});

test("given offline token files, then requests carry the first valid token and no OAuth server is asked", async () => {
  const dir = mkdtempSync(join(tmpdir(), "itgrix-offline-it-"));
  try {
    writeFileSync(join(dir, "token.json"), JSON.stringify({ access_token: "revoked-token" }));
    writeFileSync(join(dir, "token-1.json"), JSON.stringify({ token: "demo-offline-token" }));
    const auth = {
      type: "offline",
      restUrl: `${setup.emulator.url}/rest/`,
      tokenFiles: [join(dir, "token.json"), join(dir, "token-1.json")],
    };
    const h = deliveryFor(setup.redisUrl, testConfig({ auth }));
    const r = await h.delivery.send(finishedCall("offline-1"));
    assert.equal(h.delivery.stats().authMode, "offline");
    await h.close();
    assert.ok(
      r.every((c) => c.ok),
      JSON.stringify(r),
    );
    const state = await emulatorState(setup.emulator.url);
    assert.equal(state.requests.filter((q) => q.method === "oauth.token").length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("given attachRecord without content, then the file goes to uploadUrl as multipart", async () => {
  const h = deliveryFor(setup.redisUrl, testConfig({ auth: setup.webhook() }));
  const [, finish] = await h.delivery.send(finishedCall("record-1"));
  assert.ok(finish!.ok);
  const callId = (finish!.result as { CALL_ID: string }).CALL_ID;
  const [attach] = await h.delivery.send({
    callId: "record-1",
    lane: "bulk",
    commands: [
      {
        method: "telephony.externalcall.attachRecord",
        params: { CALL_ID: callId, FILENAME: "record-1.mp3" },
      },
    ],
  });
  assert.ok(attach!.ok, JSON.stringify(attach));
  const { uploadUrl, fieldName } = attach!.result as { uploadUrl: string; fieldName: string };
  const { Readable } = await import("node:stream");
  const uploaded = await h.delivery.client.uploadFile(
    uploadUrl,
    fieldName,
    "record-1.mp3",
    Readable.from([Buffer.alloc(5000, 1)]),
  );
  await h.close();
  assert.ok((uploaded as { FILE_ID?: number }).FILE_ID);
});
