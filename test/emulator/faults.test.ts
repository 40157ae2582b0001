import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { OFFLINE_TOKEN, Portal } from "./support.ts";

let portal: Portal;
before(async () => (portal = await Portal.start()));
after(() => portal.close());
beforeEach(() => portal.reset());

const faults = (body: Record<string, unknown>) => portal.control("POST", "faults", body);

describe("fault injection", () => {
  it("errorRate5xx=1 answers 500 before anything runs", async () => {
    await faults({ errorRate5xx: 1 });
    const reply = await portal.app("telephony.externalcall.register", {
      USER_ID: 2,
      PHONE_NUMBER: "+7495",
      TYPE: 2,
    });
    assert.equal(reply.status, 500);
    assert.equal(reply.body.error, "INTERNAL_SERVER_ERROR");
    assert.equal((await portal.state()).calls.length, 0);
  });

  it("errorRate5xx=0.5 fails about half of the requests", async () => {
    await faults({ errorRate5xx: 0.5 });
    const replies = await Promise.all(Array.from({ length: 200 }, () => portal.app("user.current")));
    const failed = replies.filter((r) => r.status === 500).length;
    assert.ok(failed > 50 && failed < 150, `failed ${failed}`);
  });

  it("latencyMs delays every answer; DELETE clears it", async () => {
    await faults({ latencyMs: 150 });
    let started = performance.now();
    await portal.app("user.current");
    assert.ok(performance.now() - started >= 145);
    await portal.control("DELETE", "faults");
    started = performance.now();
    await portal.app("user.current");
    assert.ok(performance.now() - started < 145);
  });

  it("an outage answers 503 SERVICE_UNAVAILABLE (not a rate-limit code) for its duration", async () => {
    await faults({ outageForMs: 250 });
    const during = await portal.app("user.current");
    assert.equal(during.status, 503);
    assert.equal(during.body.error, "SERVICE_UNAVAILABLE");
    const refresh = await portal.get("/oauth/token/?grant_type=refresh_token&client_id=x&refresh_token=y");
    assert.equal(refresh.status, 503);
    await new Promise((resolve) => setTimeout(resolve, 260));
    assert.equal((await portal.app("user.current")).status, 200);
  });

  it("outageMode 'drop' destroys the connection unanswered", async () => {
    await faults({ outageForMs: 5000, outageMode: "drop" });
    await assert.rejects(portal.app("user.current"));
    await portal.control("DELETE", "faults");
    assert.equal((await portal.app("user.current")).status, 200);
  });

  it("hang accepts requests and never answers until the client gives up", async () => {
    await faults({ hang: true });
    await assert.rejects(
      fetch(`${portal.url}/rest/user.current?auth=${OFFLINE_TOKEN}`, { signal: AbortSignal.timeout(150) }),
      /TimeoutError|aborted/i,
    );
    const { requests } = await portal.state();
    assert.deepEqual([requests[0].status, requests[0].error], [0, "HANG"]);
    await portal.control("DELETE", "faults");
    assert.equal((await portal.app("user.current")).status, 200);
  });

  it("expireTokens expires every OAuth access token; offline tokens keep working; refresh recovers", async () => {
    const seedRefresh = await portal.get(
      "/oauth/token/?grant_type=refresh_token&client_id=local.itgrix.demo&client_secret=demo-client-secret&refresh_token=demo-refresh-token",
    );
    const { access_token, refresh_token } = seedRefresh.body;
    assert.equal((await portal.app("user.current", {}, access_token)).status, 200);
    await faults({ expireTokens: true });
    const expired = await portal.app("user.current", {}, access_token);
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error, "expired_token");
    assert.equal((await portal.app("user.current", {}, OFFLINE_TOKEN)).status, 200);
    const renewed = await portal.get(
      `/oauth/token/?grant_type=refresh_token&client_id=local.itgrix.demo&client_secret=demo-client-secret&refresh_token=${refresh_token}`,
    );
    assert.equal((await portal.app("user.current", {}, renewed.body.access_token)).status, 200);
  });

  it("rejects a malformed faults body", async () => {
    assert.equal((await faults({ errorRate5xx: 2 })).status, 400);
  });
});

describe("reset", () => {
  it("clears calls, created entities, logs and faults but keeps the seed", async () => {
    await portal.register({ PHONE_NUMBER: "+79990000001", CRM_CREATE: 1 });
    await portal.app("crm.contact.add", { fields: { NAME: "New", PHONE: [{ VALUE: "+79990000002" }] } });
    await portal.app("im.notify.personal.add", { USER_ID: 2, MESSAGE: "hi" });
    await faults({ latencyMs: 500 });
    await portal.reset();
    const state = await portal.state();
    assert.equal(state.calls.length, 0);
    assert.equal(state.leads.length, 2);
    assert.equal(state.contacts.length, 5);
    assert.equal(state.notifications.length, 0);
    assert.equal(state.requests.length, 0);
    assert.equal(state.faults.latencyMs, 0);
  });
});
