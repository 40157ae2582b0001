import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Queue } from "bullmq";
import { CallStore } from "../../../core/calls/callStore.ts";
import { LIFECYCLE_QUEUE } from "../../../core/jobs/lifecycle.ts";
import { Timeline } from "../../unit/workers/callBuilder.ts";
import { startRedis, type TestRedis } from "../../support/redisServer.ts";
import { basic, startHarness, type Harness } from "./httpHarness.ts";

/**
 * The admin API's re-processing of failed calls: authentication, input checks naming the parameter,
 * and what a request leaves in Redis for the workers (the end-to-end proof that it never duplicates
 * is test/integration/chaos/reprocess.test.ts).
 */
const PASSWORD = "correct horse";
const AUTH = { authorization: basic("admin", PASSWORD), "content-type": "application/json" };

describe("POST /calls/:id/reprocess and /calls/reprocess", () => {
  let server: TestRedis;
  let h: Harness;
  let queue: Queue;
  const failedAt = Date.parse("2026-01-05T10:00:00.000Z");

  before(async () => {
    server = await startRedis();
    h = await startHarness(server.url, { http: { adminPassword: PASSWORD } });
    queue = new Queue(LIFECYCLE_QUEUE, { connection: h.redis, prefix: h.config.redis.prefix });
  });
  after(async () => {
    await queue.close();
    await h.close();
    await server.stop();
  });

  /** A call that failed at `atMs` after its register was answered. */
  async function failedCall(callId: string, atMs = failedAt, withState = true): Promise<void> {
    if (withState)
      await new CallStore(h.redis, h.keys).put(new Timeline(callId).dial(1, "102").end(20).state());
    const at = new Date(atMs).toISOString();
    const journal = {
      callId,
      bxCallId: "externalCall.1",
      register: { intentAt: at, doneAt: at },
      cardsShownTo: [],
      attempts: 8,
      failed: { reason: "finish: NO_ANSWER: x", code: "NO_ANSWER", at, step: "finish" },
    };
    await h.redis.set(h.keys.journal(callId), JSON.stringify(journal));
    await h.redis.zadd(h.keys.failedCalls, atMs, callId);
    await h.redis.zrem(h.keys.undeliveredCalls, callId);
  }

  const post = (path: string, body?: unknown, headers: Record<string, string> = AUTH) =>
    fetch(`${h.base}${path}`, {
      method: "POST",
      headers,
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });

  it("given no or wrong credentials, then 401 and nothing is queued", async () => {
    await failedCall("1744000001.1");
    const json = { "content-type": "application/json" };
    for (const headers of [json, { ...json, authorization: basic("admin", "wrong") }]) {
      assert.equal((await post("/calls/1744000001.1/reprocess", undefined, headers)).status, 401);
      assert.equal((await post("/calls/reprocess", { callIds: ["1744000001.1"] }, headers)).status, 401);
    }
    assert.notEqual(await h.redis.zscore(h.keys.failedCalls, "1744000001.1"), null);
    assert.equal(await h.redis.exists(h.keys.reprocessRequest("1744000001.1")), 0);
  });

  it("given a failed call, then 202: it leaves the failed index, a request marker waits for the worker, a reprocess job is queued", async () => {
    const callId = "1744000002.2";
    await failedCall(callId);
    const res = await post(`/calls/${callId}/reprocess`);
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { callId, status: "queued" });
    assert.equal(await h.redis.zscore(h.keys.failedCalls, callId), null);
    assert.notEqual(await h.redis.zscore(h.keys.undeliveredCalls, callId), null, "the sweeper's net");
    assert.ok(Number(await h.redis.get(h.keys.reprocessRequest(callId))) > failedAt);
    const jobs = await queue.getJobs(["waiting"]);
    const job = jobs.find((j) => j.data.callId === callId);
    assert.equal(job?.name, "reprocess");
    assert.match(job?.id ?? "", /-reprocess-\d+$/);
    const journal = JSON.parse((await h.redis.get(h.keys.journal(callId)))!) as { register: unknown };
    assert.ok(journal.register, "the journal's facts are untouched (the worker clears the mark)");
  });

  it("given an unknown call, a call that is not failed, or a failed call whose state expired, then 404 / 409 with the reason", async () => {
    assert.equal((await post("/calls/1744000999.9/reprocess")).status, 404);
    const delivered = "1744000003.3";
    await new CallStore(h.redis, h.keys).put(new Timeline(delivered).dial(1, "102").end(20).state());
    const notFailed = await post(`/calls/${delivered}/reprocess`);
    assert.equal(notFailed.status, 409);
    assert.equal(((await notFailed.json()) as { status: string }).status, "notFailed");
    const expired = "1744000004.4";
    await failedCall(expired, failedAt, false);
    const noState = await post(`/calls/${expired}/reprocess`);
    assert.equal(noState.status, 409);
    assert.match(((await noState.json()) as { error: string }).error, /CDR\/CEL/);
  });

  it("given malformed input, then 400 naming the parameter", async () => {
    const cases: [string, unknown, string][] = [
      ["/calls/reprocess", "{not json", "body"],
      ["/calls/reprocess", {}, "callIds"],
      ["/calls/reprocess", { callIds: "1744000002.2" }, "callIds"],
      ["/calls/reprocess", { callIds: [] }, "callIds"],
      ["/calls/reprocess", { callIds: ["a b"] }, "callIds.0"],
      ["/calls/reprocess", { callIds: ["x"], failedFrom: "2026-01-01T00:00:00Z" }, "callIds"],
      ["/calls/reprocess", { failedFrom: "yesterday", failedTo: "2026-01-01T00:00:00Z" }, "failedFrom"],
      ["/calls/reprocess", { failedFrom: "2026-01-01T00:00:00Z" }, "failedTo"],
      [
        "/calls/reprocess",
        { failedFrom: "2026-01-02T00:00:00Z", failedTo: "2026-01-01T00:00:00Z" },
        "failedTo",
      ],
      ["/calls/reprocess", { callIds: ["x"], limit: 0 }, "limit"],
      ["/calls/reprocess", { callIds: ["x"], since: 1 }, "since"],
      ["/calls/a%20b/reprocess", undefined, "id"],
    ];
    for (const [path, body, param] of cases) {
      const res = await post(path, body);
      assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.status}`);
      const answer = (await res.json()) as { param: string; error: string };
      assert.equal(answer.param, param, `${JSON.stringify(body)}: ${answer.error}`);
    }
  });

  it("given ids, or a period, then every failed call in it is queued and the rest is reported", async () => {
    await failedCall("1744000005.5", failedAt + 1000);
    await failedCall("1744000006.6", failedAt + 2000);
    await failedCall("1744000007.7", failedAt + 60_000);
    const byIds = await post("/calls/reprocess", { callIds: ["1744000005.5", "1744000999.9"] });
    assert.equal(byIds.status, 202);
    const ids = (await byIds.json()) as { queued: number; notFound: number; calls: unknown[] };
    assert.deepEqual([ids.queued, ids.notFound, ids.calls.length], [1, 1, 2]);

    const byPeriod = await post("/calls/reprocess", {
      failedFrom: new Date(failedAt + 1000).toISOString(),
      failedTo: new Date(failedAt + 30_000).toISOString(),
    });
    const period = (await byPeriod.json()) as { queued: number; calls: { callId: string }[] };
    assert.deepEqual(
      period.calls.map((c) => c.callId),
      ["1744000006.6"],
      "5.5 left the failed index already; 7.7 is outside the period",
    );
    assert.notEqual(await h.redis.zscore(h.keys.failedCalls, "1744000007.7"), null);
  });
});
