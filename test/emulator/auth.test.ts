import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { ACCESS_TOKEN, HOOK, OFFLINE_TOKEN, Portal } from "./support.ts";

let portal: Portal;
before(async () => (portal = await Portal.start()));
after(() => portal.close());
beforeEach(async () => {
  await portal.reset();
  await portal.control("POST", "config", { webhookTelephony: true });
});

const refreshUrl = (refresh: string, secret = "demo-client-secret") =>
  `/oauth/token/?grant_type=refresh_token&client_id=local.itgrix.demo&client_secret=${secret}&refresh_token=${refresh}`;

describe("authentication", () => {
  it("given the seed webhook, when user.current is called with .json, then it runs as user 1", async () => {
    const reply = await portal.post(`${HOOK}/user.current.json`, {});
    assert.equal(reply.status, 200);
    assert.equal(reply.body.result.ID, "1");
  });

  it("given a wrong webhook secret, then 401 INVALID_CREDENTIALS", async () => {
    const reply = await portal.post("/rest/1/wrong-secret/user.get", {});
    assert.equal(reply.status, 401);
    assert.equal(reply.body.error, "INVALID_CREDENTIALS");
  });

  it("given no auth at all on an app path, then 401 NO_AUTH_FOUND", async () => {
    const reply = await portal.post("/rest/user.get", {});
    assert.equal(reply.status, 401);
    assert.equal(reply.body.error, "NO_AUTH_FOUND");
  });

  it("given an unknown token, then 401 invalid_token", async () => {
    const reply = await portal.app("user.get", {}, "no-such-token");
    assert.equal(reply.status, 401);
    assert.equal(reply.body.error, "invalid_token");
  });

  it("accepts the token as Bearer header, in the query and in a form body", async () => {
    const bearer = await portal.post("/rest/user.current", {}, { authorization: `Bearer ${ACCESS_TOKEN}` });
    assert.equal(bearer.status, 200);
    const query = await portal.get(`/rest/user.current?auth=${ACCESS_TOKEN}`);
    assert.equal(query.status, 200);
    const form = await portal.form("/rest/user.current", `auth=${ACCESS_TOKEN}`);
    assert.equal(form.status, 200);
    const state = await portal.state();
    assert.deepEqual(
      state.requests.map((r: { auth: string }) => r.auth),
      ["oauth", "oauth", "oauth"],
    );
  });

  it("method names are case-insensitive; unknown methods are 404 ERROR_METHOD_NOT_FOUND", async () => {
    const mixed = await portal.hook("User.Get", { FILTER: { UF_PHONE_INNER: "101" } });
    assert.equal(mixed.status, 200);
    assert.equal(mixed.body.result[0].ID, "2");
    const unknown = await portal.hook("telephony.no.such.method");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error, "ERROR_METHOD_NOT_FOUND");
  });

  it("refresh rotates both tokens and the old refresh token stops working", async () => {
    const first = await portal.get(refreshUrl("demo-refresh-token"));
    assert.equal(first.status, 200);
    const tokens = first.body;
    assert.notEqual(tokens.access_token, ACCESS_TOKEN);
    assert.notEqual(tokens.refresh_token, "demo-refresh-token");
    assert.equal(tokens.expires_in, 3600);
    assert.equal(tokens.client_endpoint, `${portal.url}/rest/`);
    for (const key of ["domain", "expires", "member_id", "scope", "server_endpoint", "status", "user_id"]) {
      assert.ok(key in tokens, key);
    }
    const reused = await portal.get(refreshUrl("demo-refresh-token"));
    assert.equal(reused.status, 400);
    assert.equal(reused.body.error, "invalid_grant");
    const ok = await portal.app("user.current", {}, tokens.access_token);
    assert.equal(ok.status, 200);
    const next = await portal.get(refreshUrl(tokens.refresh_token));
    assert.equal(next.status, 200);
  });

  it("a wrong client secret gives invalid_client", async () => {
    const reply = await portal.get(refreshUrl("whatever", "bad-secret"));
    assert.equal(reply.status, 401);
    assert.equal(reply.body.error, "invalid_client");
  });

  it("access tokens expire after accessTokenTtlSec; offline tokens never do", async () => {
    assert.equal((await portal.app("user.current", {}, ACCESS_TOKEN)).status, 200);
    await portal.advanceClock(3601_000);
    const expired = await portal.app("user.current", {}, ACCESS_TOKEN);
    assert.equal(expired.status, 401);
    assert.deepEqual(
      { error: expired.body.error, error_description: expired.body.error_description },
      { error: "expired_token", error_description: "The access token provided has expired" },
    );
    const offline = await portal.app("user.current", {}, OFFLINE_TOKEN);
    assert.equal(offline.status, 200);
    assert.equal((await portal.state()).requests.at(-1).auth, "offline");
  });

  it("given webhookTelephony=false, register via webhook is WRONG_AUTH_TYPE but works for the app", async () => {
    await portal.control("POST", "config", { webhookTelephony: false });
    const params = { USER_ID: 2, PHONE_NUMBER: "+74950000000", TYPE: 2 };
    const hook = await portal.hook("telephony.externalcall.register", params);
    assert.equal(hook.status, 403);
    assert.equal(hook.body.error, "WRONG_AUTH_TYPE");
    const viaApp = await portal.app("telephony.externalcall.register", params, OFFLINE_TOKEN);
    assert.equal(viaApp.status, 200);
    const viaOffline = await portal.app(
      "telephony.externalcall.show",
      { CALL_ID: viaApp.body.result.CALL_ID },
      OFFLINE_TOKEN,
    );
    assert.equal(viaOffline.body.result, true);
    const showViaHook = await portal.hook("telephony.externalcall.show", {
      CALL_ID: viaApp.body.result.CALL_ID,
    });
    assert.equal(showViaHook.body.result, true);
  });

  it("by default webhooks may register (as the source does)", async () => {
    const hook = await portal.hook("telephony.externalcall.register", {
      USER_ID: 2,
      PHONE_NUMBER: "+74950000000",
      TYPE: 2,
    });
    assert.equal(hook.status, 200);
  });
});
