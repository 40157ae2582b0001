import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { lifecycleJobId } from "../../../core/jobs/lifecycle.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import { Metrics } from "../../../core/metrics/metrics.ts";
import { startCallWorker, type CallWorker } from "../../../workers/calls/callWorker.ts";
import { UndeliveredSweeper } from "../../../workers/calls/sweeper.ts";
import { Timeline } from "../../unit/workers/callBuilder.ts";
import { Harness, waitFor } from "./workerHarness.ts";

/**
 * "Every call in the CRM" when a job goes wrong: a job that fails with an unexpected error is retried
 * and, on its last attempt, records the call as failed; a call whose job is gone for good (failed, never
 * published) is found by the sweeper in `undeliveredCalls` and delivered after all.
 */
describe("lost lifecycle jobs", () => {
  const h = new Harness();
  let worker: CallWorker;
  let metrics: Metrics;
  let seq = 0;
  const newCallId = (): string => `1743000${String(++seq).padStart(3, "0")}.${seq}`;
  const endedCall = (callId: string) => new Timeline(callId).dial(1, "104").answer(3, "104").end(33).state();
  const counter = async (name: string): Promise<number> => (await metrics.lastMinutes(5))[name] ?? 0;
  const inIndex = async (key: string, callId: string): Promise<boolean> =>
    (await h.redis.zscore(key, callId)) !== null;

  before(async () => {
    await h.start({
      workers: { concurrency: 5, jobBackoffMs: 100, sweepAfterSec: 1, sweepIntervalMs: 200 },
    });
    worker = await startCallWorker(h.config, createLogger("test", "silent"));
    metrics = new Metrics(h.redis, h.keys);
  });
  after(async () => {
    await worker?.close();
    await h.stop();
  });

  it("given a job whose every attempt fails unexpectedly, then it is retried and the last attempt records the call as failed with the error", async () => {
    const callId = newCallId();
    const state = endedCall(callId);
    await h.calls.put(state);
    // a bug or a bad write: the stored state is not this call's
    await h.redis.set(h.keys.call(callId), JSON.stringify({ ...state, callId: "someone-else" }));
    const jobId = lifecycleJobId(callId, state.version);
    await h.queue.add(
      "ended",
      { callId, version: state.version, kind: "ended", at: new Date().toISOString() },
      { jobId, attempts: 3, backoff: { type: "fixed", delay: 50 } },
    );

    await waitFor("the job to fail for good", async () => (await h.queue.getJobState(jobId)) === "failed");
    assert.equal((await h.queue.getJob(jobId))?.attemptsMade, 3);
    const journal = await h.journal(callId);
    assert.equal(journal?.failed?.code, "INTERNAL");
    assert.match(journal?.failed?.reason ?? "", /is not a CallState/);
    assert.ok(await inIndex(h.keys.failedCalls, callId));
    assert.equal(await inIndex(h.keys.undeliveredCalls, callId), false, "failed for good: not swept");
    assert.equal(await counter("errors.INTERNAL"), 3);
    assert.equal(await counter("calls.failed"), 1);
    assert.equal((await h.callsFor(callId)).length, 0);
  });

  it("given a job that failed with an unexpected error it could not even record, then the sweeper delivers the call later", async () => {
    const callId = newCallId();
    const sweptBefore = await counter("calls.swept");
    await h.redis.set(h.keys.journal(callId), "{}"); // unreadable journal: reconcile and failure record fail
    const state = endedCall(callId);
    await h.publish(state, "ended"); // no attempts: like the app's jobs before
    const jobId = lifecycleJobId(callId, state.version);
    await waitFor("the job to fail", async () => (await h.queue.getJobState(jobId)) === "failed");
    assert.ok(await inIndex(h.keys.undeliveredCalls, callId), "still undelivered");
    assert.equal(await inIndex(h.keys.failedCalls, callId), false);

    await h.redis.del(h.keys.journal(callId)); // the hiccup is over
    await waitFor("delivery through the sweeper", () => h.isDelivered(callId), 20_000);
    const calls = await h.callsFor(callId);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.state, "finished");
    assert.equal(await inIndex(h.keys.undeliveredCalls, callId), false);
    assert.ok((await counter("calls.swept")) > sweptBefore);
    const sweepJobs = (await h.queue.getJobs(["completed", "delayed", "wait", "active", "failed"])).filter(
      (j) => j.data.callId === callId && j.name === "reprocess",
    );
    assert.ok(sweepJobs.length >= 1 && sweepJobs.every((j) => /-sweep-\d{12}$/.test(j.id!)));
  });

  it("given an ended call whose job was never published, then the sweeper delivers it", async () => {
    const callId = newCallId();
    await h.calls.put(endedCall(callId)); // the app died between the state and its job
    await waitFor("delivery through the sweeper", () => h.isDelivered(callId), 20_000);
    assert.equal((await h.callsFor(callId)).length, 1);
    assert.equal(await inIndex(h.keys.undeliveredCalls, callId), false);
  });

  it("given an undelivered call whose job still waits (delayed), then the sweeper adds no second job", async () => {
    const callId = newCallId();
    const state = endedCall(callId);
    await h.publish(state, "ended", undefined, { delay: 60_000 });
    await new Promise((r) => setTimeout(r, 600)); // a few sweep rounds
    const jobs = await h.queue.getJobs(["completed", "delayed", "wait", "active", "failed"]);
    assert.deepEqual(
      jobs.filter((j) => j.data.callId === callId).map((j) => j.id),
      [lifecycleJobId(callId, state.version)],
    );
    assert.ok(await inIndex(h.keys.undeliveredCalls, callId));
    const summary = await worker.undelivered();
    assert.equal(summary.undelivered, 1);
    assert.ok(summary.oldestUndeliveredSec! > 3600, "scored by the call's end (2025 in these timelines)");
    await (await h.queue.getJob(lifecycleJobId(callId, state.version)))!.promote();
    await waitFor("delivery", () => h.isDelivered(callId));
  });

  it("given a call delivered normally, then the sweeper leaves it alone and the heartbeat figures show none left", async () => {
    const callId = newCallId();
    await h.publish(endedCall(callId), "ended");
    await waitFor("delivery", () => h.isDelivered(callId));
    await new Promise((r) => setTimeout(r, 600)); // a few sweep rounds
    const jobs = await h.queue.getJobs(["completed", "delayed", "wait", "active", "failed"]);
    assert.equal(jobs.filter((j) => j.data.callId === callId && j.name === "reprocess").length, 0);
    assert.deepEqual(await worker.undelivered(), { undelivered: 0, oldestUndeliveredSec: null });
    assert.equal((await h.callsFor(callId)).length, 1);
  });
});

describe("no slow leak: the sweep round trims by age", () => {
  const h = new Harness();
  const DAY = 24 * 3600_000;
  const now = Date.parse("2026-03-01T12:00:00.000Z");

  before(async () => {
    await h.start({
      workers: { keepDeliveredSec: 2 * 86_400, keepFailedSec: 10 * 86_400, keepHeartbeatsSec: 3600 },
    });
  });
  after(async () => h.stop());

  it("given old delivered/failed entries and heartbeats of long-gone processes, then one round removes exactly those", async () => {
    await h.redis.zadd(h.keys.deliveredCalls, now - 3 * DAY, "old-delivered", now - DAY, "new-delivered");
    await h.redis.zadd(h.keys.failedCalls, now - 11 * DAY, "old-failed", now - 9 * DAY, "new-failed");
    await h.redis.hset(h.keys.heartbeats, {
      "worker:gone:1": JSON.stringify({ at: now - 2 * 3600_000 }),
      "worker:here:2": JSON.stringify({ at: now - 60_000 }),
      "worker:corrupt:3": "{",
    });
    const sweeper = new UndeliveredSweeper({
      config: h.config,
      redis: h.redis,
      keys: h.keys,
      queue: h.queue,
      calls: h.calls,
      metrics: new Metrics(h.redis, h.keys),
      logger: createLogger("test", "silent"),
      now: () => now,
    });
    await sweeper.sweep();
    assert.deepEqual(await h.redis.zrange(h.keys.deliveredCalls, 0, -1), ["new-delivered"]);
    assert.deepEqual(await h.redis.zrange(h.keys.failedCalls, 0, -1), ["new-failed"]);
    assert.deepEqual(Object.keys(await h.redis.hgetall(h.keys.heartbeats)), ["worker:here:2"]);
  });
});
