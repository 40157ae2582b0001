import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger } from "../../../core/logging/logger.ts";
import { collectStatusInputs } from "../../../core/status/statusProbes.ts";
import { buildStatusReport } from "../../../core/status/statusReport.ts";
import { startCallWorker, type CallWorker } from "../../../workers/calls/callWorker.ts";
import { Timeline } from "../../unit/workers/callBuilder.ts";
import { Harness, waitFor } from "../workers/workerHarness.ts";

/**
 * Chaos: the portal's webhook is revoked in the middle of traffic, then restored. The real worker
 * stack (reconciler, shared queue, hold) against the emulator and a real Redis: calls before, during
 * and after; while revoked nothing fails (a hold is a state, not a verdict), `/status` names the
 * cause; once restored every call is in the CRM exactly once.
 */
describe("chaos: credentials revoked, then restored", () => {
  const h = new Harness();
  let worker: CallWorker;
  let seq = 0;
  const newCallId = (): string => `1742${String(++seq).padStart(4, "0")}.${seq}`;
  const credentials = (action: "revoke" | "restore") =>
    fetch(`${h.emulator.url}/_emulator/credentials`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action, webhook: "1/demo-webhook-secret" }),
    });

  before(async () => {
    // Few job attempts on purpose: a held call that counted its attempts would fail within seconds.
    await h.start({
      workers: { concurrency: 20, jobBackoffMs: 100, jobAttempts: 3 },
      bitrix: {
        plan: "box",
        batchWaitMs: 5,
        requestTimeoutMs: 4_000,
        retry: { baseDelayMs: 50, maxDelayMs: 500, maxAttempts: 3 },
        hold: { probeMinMs: 300, probeMaxMs: 1_000 },
      },
    });
    // The emulator's address is known once it runs.
    h.config.bitrix.auth = { type: "webhook", webhookUrl: `${h.emulator.url}/rest/1/demo-webhook-secret/` };
    worker = await startCallWorker(h.config, createLogger("test", "silent"));
  });
  after(async () => {
    await worker?.close();
    await h.stop();
  });

  const answeredCall = async (): Promise<string> => {
    const callId = newCallId();
    await h.publish(new Timeline(callId).dial(1, "101").answer(3, "101").end(40).state(), "ended");
    return callId;
  };
  const delivered = async (ids: string[]) =>
    (await Promise.all(ids.map((id) => h.isDelivered(id)))).every(Boolean);

  it("given the webhook revoked mid-traffic, then nothing fails, /status names the hold, and all is delivered once after", async () => {
    const before = await Promise.all([1, 2, 3, 4, 5].map(() => answeredCall()));
    await waitFor("the calls before the fault", () => delivered(before), 20_000);

    await credentials("revoke");
    const during = await Promise.all([1, 2, 3, 4, 5].map(() => answeredCall()));
    const hold = await waitFor("the hold", async () => (await worker.delivery.hold()) ?? undefined, 20_000);
    assert.equal(hold.code, "INVALID_CREDENTIALS");

    // /status, from the worker's heartbeat as workers/main.ts writes it.
    await worker.metrics.heartbeat("worker:chaos:1", { inFlight: 0, crm: worker.delivery.stats() });
    const inputs = await collectStatusInputs(
      { redis: h.redis, keys: h.keys, metrics: worker.metrics, timeoutMs: 2_000 },
      { state: "running", ariConnected: true, ariReconnects: 0, activeCalls: 0 },
      { pid: process.pid, uptimeSec: 1, version: "test" },
    );
    const status = buildStatusReport(inputs);
    assert.equal(status.crm.hold?.cause, "INVALID_CREDENTIALS");
    assert.equal(status.crm.hold?.kind, "credentials");
    assert.ok(
      status.problems.some((p) => p.includes("CRM delivery held") && p.includes("INVALID_CREDENTIALS")),
    );
    assert.ok((status.crm.heldLastHour.INVALID_CREDENTIALS ?? 0) >= 1, JSON.stringify(status.crm));

    // Held for a while: the jobs come back again and again (more often than workers.jobAttempts).
    await new Promise((r) => setTimeout(r, 4_000));
    assert.equal(await h.redis.zcard(h.keys.failedCalls), 0, "no call failed while held");
    assert.ok(!(await delivered(during)));

    await credentials("restore");
    const afterFix = await Promise.all([1, 2, 3].map(() => answeredCall()));
    await waitFor("every held call", () => delivered([...during, ...afterFix]), 30_000);
    assert.equal(await worker.delivery.hold(), null);
    assert.equal(await h.redis.zcard(h.keys.failedCalls), 0);

    const state = await h.emulatorState();
    for (const id of [...before, ...during, ...afterFix]) {
      const calls = state.calls.filter((c) => c.EXTERNAL_CALL_ID === id);
      assert.equal(calls.length, 1, `${id}: ${calls.length} calls in the CRM`);
      assert.equal(calls[0]!.state, "finished");
    }
  });
});
