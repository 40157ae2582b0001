import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Queue } from "bullmq";
import { startRedis, type TestRedis } from "../../support/redisServer.ts";
import { LIFECYCLE_QUEUE } from "../../../core/jobs/lifecycle.ts";
import { basic, startHarness, type Harness } from "./httpHarness.ts";

interface StatusBody {
  status: string;
  problems: string[];
  app: { state: string; pid: number; version: string };
  ari: { connected: boolean; since: string | null; reconnects: number };
  redis: { reachable: boolean; latencyMs: number | null };
  queues: { lifecycle: Record<string, number | null> };
  workers: { seen: number | null; list: { id: string; lastSeenSec: number; inFlight: number | null }[] };
  crm: {
    reachable: boolean | null;
    auth: string | null;
    lastSuccessAt: string | null;
    lastErrorCode: string | null;
  };
  calls: Record<string, number | null>;
  errorsLastHour: Record<string, number>;
}

describe("GET /status with Redis up", () => {
  let redis: TestRedis;
  let h: Harness;
  let queue: Queue;

  before(async () => {
    redis = await startRedis();
    h = await startHarness(redis.url);
    queue = new Queue(LIFECYCLE_QUEUE, { connection: { url: redis.url }, prefix: h.config.redis.prefix });
  });
  after(async () => {
    await queue.close();
    await h.close();
    await redis.stop();
  });

  it("given jobs, heartbeats, counters and failed calls, when polled, then reflects them all", async () => {
    const now = Date.now();
    await queue.add("ended", { callId: "c1", version: 3 }, { jobId: "c1-v3", timestamp: now - 90_000 });
    await queue.add("ended", { callId: "c2", version: 1 }, { jobId: "c2-v1" });
    await queue.add("ended", { callId: "c3", version: 1 }, { jobId: "c3-v1", delay: 60_000 });
    Object.assign(h.appStatus, {
      state: "running",
      ariConnected: true,
      ariConnectedSince: "2025-01-01T00:00:00.000Z",
      ariReconnects: 2,
      activeCalls: 4,
    });
    await h.metrics.heartbeat("worker:hostA:11", {
      inFlight: 3,
      calls: { undelivered: 5, oldestUndeliveredSec: 300 },
      crm: { auth: "ok", lastSuccessAt: new Date(now - 2000).toISOString(), lastErrorCode: null },
    });
    await h.metrics.heartbeat("worker:hostA:12", {
      inFlight: 0,
      crm: {
        auth: "ok",
        lastSuccessAt: new Date(now - 5000).toISOString(),
        lastErrorCode: "QUERY_LIMIT_EXCEEDED",
      },
    });
    await h.metrics.heartbeat("app", { note: "not a worker" });
    await h.metrics.count("calls.processed", 7);
    await h.metrics.count("calls.failed", 1);
    await h.metrics.count("errors.QUERY_LIMIT_EXCEEDED", 5);
    await h.redis.zadd(h.keys.failedCalls, now, "c9", now - 1000, "c8");

    const res = await fetch(`${h.base}/status`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as StatusBody;

    assert.equal(body.redis.reachable, true);
    assert.equal(typeof body.redis.latencyMs, "number");
    assert.equal(body.app.state, "running");
    assert.equal(body.app.pid, process.pid);
    assert.equal(body.app.version, "0.1.0");
    assert.deepEqual(body.ari, {
      connected: true,
      since: "2025-01-01T00:00:00.000Z",
      reconnects: 2,
      lastResyncAt: null,
    });
    assert.equal(body.queues.lifecycle.waiting, 2);
    assert.equal(body.queues.lifecycle.delayed, 1);
    assert.equal(body.queues.lifecycle.active, 0);
    assert.ok((body.queues.lifecycle.oldestWaitingAgeSec ?? 0) >= 89, JSON.stringify(body.queues));
    assert.equal(body.workers.seen, 2);
    assert.deepEqual(
      body.workers.list.map((w) => [w.id, w.inFlight]),
      [
        ["worker:hostA:11", 3],
        ["worker:hostA:12", 0],
      ],
    );
    assert.equal(body.crm.auth, "ok");
    assert.equal(body.crm.reachable, true);
    assert.equal(body.crm.lastErrorCode, "QUERY_LIMIT_EXCEEDED");
    const { oldestUndeliveredSec, ...calls } = body.calls;
    assert.deepEqual(calls, {
      activeNow: 4,
      processedLastHour: 7,
      failedLastHour: 1,
      failedTotal: 2,
      undelivered: 5,
      originateFailedLastHour: {},
    });
    assert.ok(oldestUndeliveredSec! >= 300 && oldestUndeliveredSec! <= 302, String(oldestUndeliveredSec));
    assert.deepEqual(body.errorsLastHour, { QUERY_LIMIT_EXCEEDED: 5 });
    assert.equal(body.status, "warning");
    assert.ok(body.problems.some((p) => /oldest waiting lifecycle job/.test(p)));
    assert.ok(body.problems.some((p) => /failed in the last hour/.test(p)));
  });

  it("given statusAuth is off, when polled without credentials, then it answers and shows no secrets", async () => {
    const res = await fetch(`${h.base}/status`);
    const text = await res.text();
    assert.equal(res.status, 200);
    assert.doesNotMatch(text, /password|token|secret/i);
  });
});

describe("GET /status with statusAuth on", () => {
  let redis: TestRedis;
  let h: Harness;
  before(async () => {
    redis = await startRedis();
    h = await startHarness(redis.url, { http: { statusAuth: true, adminPassword: "s3cret-pw" } });
  });
  after(async () => {
    await h.close();
    await redis.stop();
  });

  it("given no credentials, when polled, then 401; with admin credentials, 200", async () => {
    assert.equal((await fetch(`${h.base}/status`)).status, 401);
    const ok = await fetch(`${h.base}/status`, { headers: { authorization: basic("admin", "s3cret-pw") } });
    assert.equal(ok.status, 200);
  });
});

describe("GET /status with Redis down", () => {
  it("given Redis stops, when polled, then it answers fast with redis.reachable=false and status error", async () => {
    const redis = await startRedis();
    const h = await startHarness(redis.url);
    try {
      Object.assign(h.appStatus, { state: "running", ariConnected: true });
      await redis.stop();
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const res = await fetch(`${h.base}/status`);
        const elapsed = Date.now() - started;
        const body = (await res.json()) as StatusBody;
        assert.equal(res.status, 200);
        assert.ok(elapsed < 1500, `answered in ${elapsed} ms`);
        assert.equal(body.redis.reachable, false);
        assert.equal(body.redis.latencyMs, null);
        assert.equal(body.status, "error");
        assert.ok(body.problems.some((p) => p.startsWith("Redis unreachable")));
        assert.equal(body.queues.lifecycle.waiting, null);
        assert.equal(body.workers.seen, null);
        assert.equal(body.calls.processedLastHour, null);
      }
    } finally {
      await h.close();
    }
  });

  it("given Redis connected but not answering, when polled, then each probe is time-boxed", async () => {
    const redis = await startRedis();
    const h = await startHarness(redis.url);
    const { Redis } = await import("ioredis");
    const admin = new Redis(redis.url);
    try {
      await fetch(`${h.base}/status`);
      await admin.call("CLIENT", "PAUSE", "2000", "ALL");
      const started = Date.now();
      const body = (await (await fetch(`${h.base}/status`)).json()) as StatusBody;
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 1000, `answered in ${elapsed} ms`);
      assert.equal(body.redis.reachable, false);
      assert.equal(body.status, "error");
    } finally {
      admin.disconnect();
      await h.close();
      await redis.stop();
    }
  });

  it("given Redis was never reachable, when polled, then it still answers", async () => {
    const h = await startHarness("redis://127.0.0.1:1");
    try {
      const res = await fetch(`${h.base}/status`);
      const body = (await res.json()) as StatusBody;
      assert.equal(body.redis.reachable, false);
      assert.equal(body.status, "error");
    } finally {
      await h.close();
    }
  });
});
