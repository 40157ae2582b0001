import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { parseConfig } from "../../../core/config/loadConfig.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import { Metrics } from "../../../core/metrics/metrics.ts";
import { startHttpServer, type HttpServer } from "../../../app/http/server.ts";
import { createAppStatus } from "../../../app/status/appStatus.ts";
import { startCallWorker, type CallWorker } from "../../../workers/calls/callWorker.ts";
import { basic } from "../http/httpHarness.ts";
import { Harness, waitFor } from "../workers/workerHarness.ts";
import { ended, ringing } from "./chaosStack.ts";

/**
 * Re-processing never duplicates: a call whose register went through fails at its finish (the portal
 * answers 500 to everything), an admin re-processes it through the HTTP API once the portal is back,
 * and the CRM ends up with exactly one call, finished once — register is not sent again.
 */
describe("chaos: a call failed after its register went through is re-processed", () => {
  const h = new Harness();
  const PASSWORD = "reprocess-secret-1";
  let worker: CallWorker;
  let http: HttpServer;
  let httpRedis: Redis;

  before(async () => {
    await h.start({ workers: { concurrency: 5, jobAttempts: 2, jobBackoffMs: 100, inFlightWindowMs: 500 } });
    h.portalVia(h.emulator.url, { retry: { baseDelayMs: 50, maxDelayMs: 200, maxAttempts: 2 } });
    worker = await startCallWorker(h.config, createLogger("test", "silent"));
    httpRedis = new Redis(h.config.redis.url, { maxRetriesPerRequest: 1 });
    const config = parseConfig({ ...h.config, http: { ...h.config.http, port: 0, adminPassword: PASSWORD } });
    http = await startHttpServer({
      config,
      redis: httpRedis,
      keys: h.keys,
      metrics: new Metrics(httpRedis, h.keys),
      appStatus: createAppStatus(),
      logger: createLogger("test", "silent"),
    });
  });
  after(async () => {
    await http?.close();
    httpRedis?.disconnect();
    await worker?.close();
    await h.stop();
  });

  const faults = (method: "POST" | "DELETE", body?: unknown) =>
    fetch(`${h.emulator.url}/_emulator/faults`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it("then exactly one call in the CRM, finished once, and register never sent again", async () => {
    const callId = "1745300001.1";
    await h.publish(ringing(callId));
    await waitFor("register", async () => (await h.journal(callId))?.bxCallId, 20_000);
    await faults("POST", { errorRate5xx: 1 }); // 500 before any method runs: nothing happens
    await h.publish(ended(callId), "ended");
    await waitFor(
      "the call failed",
      async () => (await h.redis.zscore(h.keys.failedCalls, callId)) !== null,
      30_000,
    );
    const failed = (await h.journal(callId))!;
    assert.ok(failed.failed, "failed for good");
    assert.ok(failed.register.doneAt, "…after its register went through");
    assert.equal((await h.callsFor(callId))[0]?.state, "registered");

    await faults("DELETE");
    const wrong = await fetch(`http://127.0.0.1:${http.port}/calls/${callId}/reprocess`, {
      method: "POST",
      headers: { authorization: basic("admin", "wrong") },
    });
    assert.equal(wrong.status, 401);
    const res = await fetch(`http://127.0.0.1:${http.port}/calls/${callId}/reprocess`, {
      method: "POST",
      headers: { authorization: basic("admin", PASSWORD) },
    });
    assert.equal(res.status, 202);
    await waitFor("delivery after re-processing", () => h.isDelivered(callId), 30_000);

    const calls = await h.callsFor(callId);
    assert.equal(calls.length, 1, "exactly one call in the CRM");
    assert.equal(calls[0]!.state, "finished");
    assert.deepEqual(
      {
        user: calls[0]!.finish?.USER_ID,
        status: calls[0]!.finish?.STATUS_CODE,
        duration: calls[0]!.finish?.DURATION,
      },
      { user: 3, status: "200", duration: 30 },
    );
    const requests = (await h.emulatorState()).requests;
    const ran = (method: string) =>
      requests.filter((r) => r.status === 200 && r.commands?.includes(method)).length;
    assert.equal(ran("telephony.externalcall.register"), 1, "register was never sent again");
    assert.equal(ran("telephony.externalcall.finish"), 1, "finished once");
    const journal = (await h.journal(callId))!;
    assert.equal(journal.failed, undefined);
    assert.equal(journal.previousFailures?.length, 1);
    assert.equal(await h.redis.zscore(h.keys.failedCalls, callId), null);
    assert.equal(await h.redis.exists(h.keys.reprocessRequest(callId)), 0, "the request was used up");
  });
});
