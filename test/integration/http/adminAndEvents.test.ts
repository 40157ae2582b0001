import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startRedis, type TestRedis } from "../../support/redisServer.ts";
import { basic, startHarness, type Harness } from "./httpHarness.ts";

const TOKEN = "app-token-Zq8vX1";
const FORM = { "content-type": "application/x-www-form-urlencoded" };

function eventBody(token: string | undefined, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams({
    event: "ONEXTERNALCALLSTART",
    "data[CALL_ID]": "externalCall.abc",
    "data[USER_ID]": "3",
    "data[PHONE_NUMBER]": "+74955550101",
    ts: "1700000000",
    "auth[domain]": "demo.bitrix24.ru",
    "auth[member_id]": "m1",
    ...extra,
  });
  if (token !== undefined) p.set("auth[application_token]", token);
  return p.toString();
}

describe("admin endpoints", () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });

  it("given no admin password configured, when /calls/failed is asked, then 503", async () => {
    const h = await startHarness(redis.url);
    try {
      const res = await fetch(`${h.base}/calls/failed`, { headers: { authorization: basic("admin", "x") } });
      assert.equal(res.status, 503);
      assert.match(((await res.json()) as { error: string }).error, /admin password not configured/);
    } finally {
      await h.close();
    }
  });

  describe("with a password", () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(redis.url, { http: { adminPassword: "correct horse" } });
    });
    after(async () => h.close());

    it("given no or wrong credentials, when asked, then 401 with a Basic challenge", async () => {
      const none = await fetch(`${h.base}/calls/failed`);
      assert.equal(none.status, 401);
      assert.match(none.headers.get("www-authenticate") ?? "", /^Basic /);
      const wrongPw = await fetch(`${h.base}/calls/failed`, {
        headers: { authorization: basic("admin", "nope") },
      });
      assert.equal(wrongPw.status, 401);
      const wrongUser = await fetch(`${h.base}/calls/failed`, {
        headers: { authorization: basic("root", "correct horse") },
      });
      assert.equal(wrongUser.status, 401);
      assert.doesNotMatch(h.logText(), /correct horse|nope/);
    });

    it("given failed calls with journals, when listed, then newest first with reasons", async () => {
      const now = Date.now();
      await h.redis.zadd(h.keys.failedCalls, now - 5000, "1700000000.1", now, "1700000000.2");
      await h.redis.set(
        h.keys.journal("1700000000.2"),
        JSON.stringify({
          failed: {
            reason: "user not found",
            code: "ERROR_CORE",
            at: "2025-01-01T00:00:00Z",
            step: "register",
          },
        }),
      );
      const res = await fetch(`${h.base}/calls/failed`, {
        headers: { authorization: basic("admin", "correct horse") },
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { total: number; calls: Record<string, unknown>[] };
      assert.equal(body.total, 2);
      assert.deepEqual(body.calls[0], {
        callId: "1700000000.2",
        failedAt: new Date(now).toISOString(),
        reason: "user not found",
        code: "ERROR_CORE",
        step: "register",
        at: "2025-01-01T00:00:00Z",
      });
      assert.equal(body.calls[1]!.callId, "1700000000.1");
      assert.equal(body.calls[1]!.reason, null);
    });

    it("given a stored call, when /calls/:id is asked, then state and journal; unknown → 404", async () => {
      const state = {
        callId: "1700000001.5",
        version: 4,
        phase: "ended",
        startedAt: new Date().toISOString(),
      };
      await h.redis.set(h.keys.call("1700000001.5"), JSON.stringify(state));
      await h.redis.set(h.keys.journal("1700000001.5"), JSON.stringify({ registered: { CALL_ID: "x" } }));
      const auth = { authorization: basic("admin", "correct horse") };
      const res = await fetch(`${h.base}/calls/1700000001.5`, { headers: auth });
      assert.equal(res.status, 200);
      const body = (await res.json()) as Record<string, unknown>;
      assert.deepEqual(body.state, state);
      assert.deepEqual(body.journal, { registered: { CALL_ID: "x" } });
      assert.equal(body.failedAt, null);
      assert.equal((await fetch(`${h.base}/calls/nope.1`, { headers: auth })).status, 404);
    });

    it("given an unknown path, when asked, then 404 without asking for credentials", async () => {
      assert.equal((await fetch(`${h.base}/nothing-here`)).status, 404);
    });
  });
});

describe("POST /bitrix/events", () => {
  let redis: TestRedis;
  let h: Harness;
  before(async () => {
    redis = await startRedis();
    h = await startHarness(redis.url, { bitrix: { applicationToken: TOKEN } });
  });
  after(async () => {
    await h.close();
    await redis.stop();
  });

  it("given the right token, when an event arrives, then 200, the callback gets it without tokens, and it is counted", async () => {
    const res = await fetch(`${h.base}/bitrix/events`, {
      method: "POST",
      headers: FORM,
      body: eventBody(TOKEN),
    });
    assert.equal(res.status, 200);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(h.events.length, 1);
    assert.deepEqual(h.events[0], {
      name: "ONEXTERNALCALLSTART",
      data: { CALL_ID: "externalCall.abc", USER_ID: "3", PHONE_NUMBER: "+74955550101" },
      ts: "1700000000",
      domain: "demo.bitrix24.ru",
      memberId: "m1",
    });
    // With a handler behind the route, the event intake counts it (e2e/clickToCall): counted once.
    const counters = await h.metrics.lastMinutes(2);
    assert.equal(counters["events.ONEXTERNALCALLSTART"], undefined);
  });

  it("given a wrong or missing token, when an event arrives, then 401, no callback, and the token is not logged", async () => {
    const before = h.events.length;
    const wrong = await fetch(`${h.base}/bitrix/events`, {
      method: "POST",
      headers: FORM,
      body: eventBody("wrong-token-Yy77"),
    });
    assert.equal(wrong.status, 401);
    const missing = await fetch(`${h.base}/bitrix/events`, {
      method: "POST",
      headers: FORM,
      body: eventBody(undefined),
    });
    assert.equal(missing.status, 401);
    const shorter = await fetch(`${h.base}/bitrix/events`, {
      method: "POST",
      headers: FORM,
      body: eventBody("a"),
    });
    assert.equal(shorter.status, 401);
    assert.equal(h.events.length, before);
    const log = h.logText();
    assert.match(log, /Bitrix24 event rejected/);
    assert.doesNotMatch(log, /wrong-token-Yy77/);
    assert.doesNotMatch(log, new RegExp(TOKEN));
  });

  it("given malformed bodies, when posted, then 400 with a clear error", async () => {
    const cases: [string, RequestInit][] = [
      ["empty", { method: "POST", headers: FORM, body: "" }],
      ["json", { method: "POST", headers: { "content-type": "application/json" }, body: '{"event":"X"}' }],
      [
        "no event name",
        { method: "POST", headers: FORM, body: `auth[application_token]=${TOKEN}&data[CALL_ID]=1` },
      ],
      ["data not fields", { method: "POST", headers: FORM, body: eventBody(TOKEN, { data: "plain" }) }],
    ];
    for (const [label, init] of cases) {
      const res = await fetch(`${h.base}/bitrix/events`, init);
      assert.equal(res.status, 400, label);
      const body = (await res.json()) as { error: string };
      assert.ok(body.error.length > 5, label);
    }
    assert.doesNotMatch(h.logText(), new RegExp(TOKEN));
  });

  it("given a body over the size limit, when posted, then 413", async () => {
    const big = eventBody(TOKEN, { "data[PAD]": "x".repeat(100_000) });
    const res = await fetch(`${h.base}/bitrix/events`, { method: "POST", headers: FORM, body: big });
    assert.equal(res.status, 413);
  });

  it("given no application token configured, when an event arrives, then 503", async () => {
    const h2 = await startHarness(redis.url);
    try {
      const res = await fetch(`${h2.base}/bitrix/events`, {
        method: "POST",
        headers: FORM,
        body: eventBody(TOKEN),
      });
      assert.equal(res.status, 503);
      assert.equal(h2.events.length, 0);
    } finally {
      await h2.close();
    }
  });

  it("given debug logging, when requests are served, then the log has method/path/status and no query string", async () => {
    await fetch(`${h.base}/status?auth=leaky-query-value`);
    const log = h.logText();
    assert.match(log, /"path":"\/status"/);
    assert.doesNotMatch(log, /leaky-query-value/);
  });
});
