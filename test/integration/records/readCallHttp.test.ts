/**
 * `/pbx/read_call` against real Redis and the testbed's real PostgreSQL, with captured calls written
 * into a database of the test's own (no Asterisk needed): authentication, every 400, the outcomes per
 * call (queued, in the CRM, skipped, failed, still going on, unknown), a date range, and what happens
 * when PostgreSQL is away or the app dies in the middle of a run.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { CallStore } from "../../../core/calls/callStore.ts";
import type { CallState } from "../../../core/calls/types.ts";
import { LIFECYCLE_QUEUE } from "../../../core/jobs/lifecycle.ts";
import { RunStore, type CallResult, type RunRecord } from "../../../app/reprocessing/runStore.ts";
import { differences, summarise } from "../../support/callComparison.ts";
import { startRedis, type TestRedis } from "../../support/redisServer.ts";
import { getTestbed } from "../../support/testbed.ts";
import { basic, startHarness, type Harness } from "../http/httpHarness.ts";
import {
  createScratchDatabase,
  freshLinkedId,
  insertCall,
  loadFixture,
  type CelFixture,
  type ScratchDatabase,
} from "../../support/celFixtures.ts";

const PASSWORD = "reprocess-secret-7";

/** The fixture's live state as if it had been the call `id` (the rows were written under that id). */
function renamedLive(fixture: CelFixture, id: string): CallState {
  return JSON.parse(JSON.stringify(fixture.live).split(fixture.records.linkedId).join(id)) as CallState;
}
const AUTH = { authorization: basic("admin", PASSWORD) };
type Run = RunRecord & { calls: CallResult[] };

describe("/pbx/read_call (HTTP API, Redis, PostgreSQL)", () => {
  let redis: TestRedis;
  let db: ScratchDatabase;
  let h: Harness;
  let queue: Queue;
  let queueConnection: Redis;
  before(async () => {
    redis = await startRedis();
    db = await createScratchDatabase((await getTestbed()).postgres.url);
    h = await startHarness(redis.url, {
      http: { adminPassword: PASSWORD },
      cdr: { url: db.url, maxCallsPerRun: 3 },
    });
    queueConnection = h.redis.duplicate();
    queue = new Queue(LIFECYCLE_QUEUE, { connection: queueConnection, prefix: h.config.redis.prefix });
  });
  after(async () => {
    await queue?.close();
    queueConnection?.disconnect();
    await h?.close();
    await db?.drop();
    await redis?.stop();
  });

  const get = (path: string, headers: Record<string, string> = AUTH) =>
    fetch(`${h.base}${path}`, { headers });
  const post = (path: string, body: unknown, headers: Record<string, string> = AUTH) =>
    fetch(`${h.base}${path}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  async function finished(response: Response): Promise<Run> {
    assert.equal(response.status, 202, await response.clone().text());
    const { run } = (await response.json()) as { run: string };
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = (await (await get(`/pbx/read_call/${run}`)).json()) as Run;
      if (r.state !== "queued" && r.state !== "running") return r;
      if (Date.now() > deadline) throw new Error(`run ${run} still ${r.state}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  it("given no or wrong credentials, when read_call is asked (GET or POST, or a run), then 401", async () => {
    assert.equal((await get("/pbx/read_call?id=1.1", {})).status, 401);
    assert.equal(
      (await get("/pbx/read_call?id=1.1", { authorization: basic("admin", "wrong") })).status,
      401,
    );
    assert.equal(
      (await post("/pbx/read_call", ["1.1"], { authorization: basic("root", PASSWORD) })).status,
      401,
    );
    assert.equal((await get("/pbx/read_call/r-20250101000000-00000000", {})).status, 401);
  });

  it("given malformed ids, dates or bodies, when read_call is asked, then 400 naming the parameter", async () => {
    const cases: [Promise<Response>, string, RegExp][] = [
      [get("/pbx/read_call"), "id", /give id=/],
      [get("/pbx/read_call?id=1.1%3Bdrop"), "id", /not a call id/],
      [get("/pbx/read_call?id=1.1&start_date=2025-01-01T00:00:00Z"), "id", /not both/],
      [get("/pbx/read_call?start_date=yesterday&end_date=2025-01-02T00:00:00Z"), "start_date", /ISO 8601/],
      [
        get("/pbx/read_call?start_date=2025-01-01T10:00:00&end_date=2025-01-02T00:00:00Z"),
        "start_date",
        /time zone/,
      ],
      [
        get("/pbx/read_call?start_date=2025-02-30T00:00:00Z&end_date=2025-03-02T00:00:00Z"),
        "start_date",
        /valid/,
      ],
      [get("/pbx/read_call?start_date=2025-01-01T00:00:00Z"), "end_date", /missing/],
      [get("/pbx/read_call?start_date=2025-01-02&end_date=2025-01-01"), "end_date", /after start_date/],
      [post("/pbx/read_call", { ids: ["1.1"] }), "body", /unknown field ids/],
      [post("/pbx/read_call", '"1.1"'), "body", /expected a JSON array/],
      [post("/pbx/read_call", [1.1]), "id", /not a call id/],
      [post("/pbx/read_call", ["1.1", "1.2", "1.3", "1.4"]), "id", /at most 3/],
      [get("/pbx/read_call/not-a-run"), "run", /not a run id/],
    ];
    for (const [response, parameter, message] of cases) {
      const res = await response;
      const body = (await res.json()) as { error: string; parameter: string };
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(body.parameter, parameter, JSON.stringify(body));
      assert.match(body.error, message);
    }
    assert.equal((await get("/pbx/read_call/r-20250101000000-00000000")).status, 404);
  });

  it("given a captured ring-all call in CEL, when re-processed by id, then the rebuilt state is stored and one reprocess job points at it", async () => {
    const fixture = loadFixture("ringall-busy-noanswer-answered");
    const id = freshLinkedId();
    await insertCall(db.pool, fixture.records, { linkedId: id });
    const run = await finished(await get(`/pbx/read_call?id=${id}`));
    assert.equal(run.state, "done");
    assert.deepEqual(run.counts, { queued: 1 });
    const [result] = run.calls;
    assert.equal(result?.outcome, "queued");
    assert.equal(result.summary?.answeredBy, "103");
    assert.equal(result.summary?.enteredStasis, true);
    const state = await new CallStore(h.redis, h.keys).get(id);
    assert.ok(state, "state stored");
    assert.equal(state.phase, "ended");
    assert.equal(state.version, result.version);
    assert.deepEqual(differences(summarise(renamedLive(fixture, id)), summarise(state)), []);
    const jobs = (await queue.getJobs(["waiting", "delayed"])).filter((j) => j.data.callId === id);
    assert.equal(jobs.length, 1, "one job");
    const [job] = jobs;
    assert.equal(job?.name, "reprocess");
    assert.deepEqual(job?.data, { callId: id, version: state.version, kind: "reprocess", at: job?.data.at });
  });

  it("given the app already has a live state of the call, when re-processed, then the rebuilt state replaces it with a higher version", async () => {
    const fixture = loadFixture("sequential-first-misses");
    const id = freshLinkedId();
    await insertCall(db.pool, fixture.records, { linkedId: id });
    const store = new CallStore(h.redis, h.keys);
    await store.put({ ...fixture.live!, callId: id, version: 40, phase: "talking" });
    const run = await finished(await post("/pbx/read_call", [id]));
    assert.equal(run.calls[0]?.outcome, "queued");
    assert.equal(run.calls[0].replacedLiveState, true);
    assert.equal(run.calls[0].version, 41);
    assert.equal((await store.get(id))?.phase, "ended");
  });

  it("given the workers' journal says delivered, skipped or failed, when re-processed, then nothing is written for the first two and the failed one is re-opened", async () => {
    const fixture = loadFixture("internal");
    const journals: Record<string, object> = {
      inCrm: { deliveredAt: "2025-01-01T00:00:00.000Z", bxCallId: "externalCall.x" },
      skipped: { skipped: { reason: "internal call, not registered", at: "2025-01-01T00:00:00.000Z" } },
      failed: {
        failed: {
          reason: "finish: ERROR_CORE: User is not found",
          code: "ERROR_CORE",
          at: "",
          step: "finish",
        },
      },
    };
    const ids: Record<string, string> = {};
    for (const [outcome, journal] of Object.entries(journals)) {
      ids[outcome] = freshLinkedId();
      await insertCall(db.pool, fixture.records, { linkedId: ids[outcome]! });
      await h.redis.set(h.keys.journal(ids[outcome]!), JSON.stringify({ callId: ids[outcome], ...journal }));
    }
    const run = await finished(await post("/pbx/read_call", { id: Object.values(ids) }));
    const byId = new Map(run.calls.map((c) => [c.callId, c]));
    assert.equal(byId.get(ids.inCrm!)?.outcome, "inCrm");
    assert.match(byId.get(ids.inCrm!)?.reason ?? "", /externalCall\.x/);
    assert.equal(byId.get(ids.skipped!)?.outcome, "skipped");
    assert.equal(byId.get(ids.failed!)?.outcome, "reopened");
    assert.match(byId.get(ids.failed!)?.reason ?? "", /User is not found/);
    for (const id of [ids.inCrm!, ids.skipped!])
      assert.equal(await new CallStore(h.redis, h.keys).get(id), undefined);
    // The failed call is re-opened like POST /calls/:id/reprocess: the worker's request marker, out of
    // the failed index, back among the undelivered, a reprocess job; its expired state rebuilt.
    const failedId = ids.failed!;
    const rebuilt = await new CallStore(h.redis, h.keys).get(failedId);
    assert.equal(rebuilt?.phase, "ended");
    assert.ok(rebuilt?.rebuiltAt, "the state says it was rebuilt from the records");
    assert.equal(await h.redis.exists(h.keys.reprocessRequest(failedId)), 1);
    assert.notEqual(await h.redis.zscore(h.keys.undeliveredCalls, failedId), null);
    const jobs = await queue.getJobs(["waiting", "delayed"]);
    assert.ok(jobs.some((j) => j.data.callId === failedId && j.name === "reprocess"));
  });

  it("given a call Asterisk has not finished and an unknown id, when re-processed, then inProgress and notFound, nothing written", async () => {
    const going = freshLinkedId();
    await insertCall(db.pool, loadFixture("blind-transfer").records, { linkedId: going, withoutEnd: true });
    const unknown = freshLinkedId();
    const run = await finished(await get(`/pbx/read_call?id=${going},${unknown}`));
    const outcomes = new Map(run.calls.map((c) => [c.callId, c.outcome]));
    assert.equal(outcomes.get(going), "inProgress");
    assert.equal(outcomes.get(unknown), "notFound");
    assert.equal(await new CallStore(h.redis, h.keys).get(going), undefined);
  });

  it("given calls at several times, when a date range is re-processed, then exactly the calls that started in it, at most cdr.maxCallsPerRun", async () => {
    const fixture = loadFixture("outbound-busy");
    const base = Date.parse("2030-05-01T10:00:00Z") - Date.parse(fixture.records.cel[0]!.eventTime);
    const ids = [freshLinkedId(), freshLinkedId(), freshLinkedId(), freshLinkedId(), freshLinkedId()];
    for (const [i, id] of ids.entries())
      await insertCall(db.pool, fixture.records, { linkedId: id, shiftMs: base + i * 60_000 });
    const inRange = await finished(
      await get("/pbx/read_call?start_date=2030-05-01T10:00:30Z&end_date=2030-05-01T13:02:30%2B03:00"),
    );
    assert.deepEqual(
      inRange.calls.map((c) => c.callId).sort(),
      ids.slice(1, 3).sort(),
      "10:01 and 10:02 UTC are in [10:00:30Z, 10:02:30Z)",
    );
    assert.equal(inRange.total, 2);
    assert.equal(inRange.truncated, false);
    const all = await finished(
      await post("/pbx/read_call", { start_date: "2030-05-01", end_date: "2030-05-02" }),
    );
    assert.equal(all.total, 3);
    assert.equal(all.truncated, true);
    // Results are stored as calls finish (several at once), so their order is not the start order.
    assert.deepEqual(
      all.calls.map((c) => c.callId).sort(),
      ids.slice(0, 3).sort(),
      "the first 3 calls by start time",
    );
  });
});

describe("/pbx/read_call when things are away", () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => redis?.stop());

  it("given no cdr.url, when read_call is asked, then 503 naming the key", async () => {
    const h = await startHarness(redis.url, { http: { adminPassword: PASSWORD } });
    try {
      const res = await fetch(`${h.base}/pbx/read_call?id=1.1`, { headers: AUTH });
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { key: string }).key, "cdr.url");
    } finally {
      await h.close();
    }
  });

  it("given PostgreSQL does not answer, when calls are re-processed, then each call is an error with the reason and a range run fails; nothing is written", async () => {
    const closedPort = "postgres://itgrix:itgrix@127.0.0.1:1/asterisk";
    const h = await startHarness(redis.url, {
      http: { adminPassword: PASSWORD },
      cdr: { url: closedPort, connectTimeoutMs: 500 },
    });
    try {
      const ids = await fetch(`${h.base}/pbx/read_call?id=1.1`, { headers: AUTH });
      const { run } = (await ids.json()) as { run: string };
      const range = await fetch(`${h.base}/pbx/read_call?start_date=2025-01-01&end_date=2025-01-02`, {
        headers: AUTH,
      });
      const rangeRun = ((await range.json()) as { run: string }).run;
      const waitFor = async (id: string): Promise<Run> => {
        for (let i = 0; i < 100; i++) {
          const r = (await (await fetch(`${h.base}/pbx/read_call/${id}`, { headers: AUTH })).json()) as Run;
          if (r.state !== "queued" && r.state !== "running") return r;
          await new Promise((res) => setTimeout(res, 100));
        }
        throw new Error("run did not end");
      };
      const byId = await waitFor(run);
      assert.equal(byId.state, "done");
      assert.equal(byId.calls[0]?.outcome, "error");
      assert.match(byId.calls[0]?.reason ?? "", /ECONNREFUSED|connect/i);
      const byRange = await waitFor(rangeRun);
      assert.equal(byRange.state, "failed");
      assert.match(byRange.error ?? "", /ECONNREFUSED|connect/i);
      assert.equal(await new CallStore(h.redis, h.keys).get("1.1"), undefined);
    } finally {
      await h.close();
    }
  });

  it("given a run whose app died in the middle (no heartbeat for a minute), when it is read, then it says interrupted", async () => {
    const h = await startHarness(redis.url, {
      http: { adminPassword: PASSWORD },
      cdr: { url: "postgres://itgrix:itgrix@127.0.0.1:1/asterisk" },
    });
    let now = Date.now() - 600_000;
    const runs = new RunStore(h.redis, h.keys, 3600, () => new Date(now));
    try {
      const run = await runs.create({ kind: "ids", ids: ["1.1", "1.2"] });
      run.state = "running";
      await runs.save(run);
      now += 30_000;
      assert.equal((await runs.get(run.run))?.state, "running");
      now += 31_000;
      assert.equal((await runs.get(run.run))?.state, "interrupted");
      const res = await fetch(`${h.base}/pbx/read_call/${run.run}`, { headers: AUTH });
      assert.equal(((await res.json()) as Run).state, "interrupted", "the API reads the same record");
    } finally {
      await h.close();
    }
  });
});
