import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { ACCESS_TOKEN, HOOK, OFFLINE_TOKEN, Portal } from "./support.ts";

/**
 * The portal-wide refusals a connector must survive (revoked credentials, missing scopes, blocks,
 * 408/413, a firewall rule) and answers lost after the request ran. Each case checks what ran.
 */

let portal: Portal;
before(async () => (portal = await Portal.start()));
after(() => portal.close());
beforeEach(async () => {
  await portal.reset();
  await portal.control("POST", "config", { rateLimit: null, maxBodyBytes: 16 * 1024 * 1024 });
});

const faults = (body: Record<string, unknown>) => portal.control("POST", "faults", body);
const credentials = (body: Record<string, unknown>) => portal.control("POST", "credentials", body);

/** A raw POST: the status and the body as text (some refusals are HTML pages, not JSON). */
async function raw(path: string, body: unknown): Promise<{ status: number; text: string; type: string }> {
  const response = await fetch(portal.url + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    text: await response.text(),
    type: response.headers.get("content-type") ?? "",
  };
}

const register = { USER_ID: 2, PHONE_NUMBER: "+74951234567", TYPE: 2, SHOW: 0 };

describe("revoked and restored credentials", () => {
  it("a revoked webhook answers 401 INVALID_CREDENTIALS and runs nothing; restored, it works again", async () => {
    await credentials({ action: "revoke", webhook: "1/demo-webhook-secret" });
    const refused = await portal.hook("telephony.externalcall.register", register);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, "INVALID_CREDENTIALS");
    assert.equal((await portal.state()).calls.length, 0);
    await credentials({ action: "restore", webhook: "1/demo-webhook-secret" });
    assert.equal((await portal.hook("telephony.externalcall.register", register)).status, 200);
  });

  it("a revoked app: its access tokens are invalid_token and its refresh token invalid_grant; offline tokens act on", async () => {
    await credentials({ action: "revoke", app: "local.itgrix.demo" });
    const refused = await portal.app("user.current", {}, ACCESS_TOKEN);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, "invalid_token");
    const refresh = await portal.get(
      "/oauth/token/?grant_type=refresh_token&client_id=local.itgrix.demo&client_secret=demo-client-secret&refresh_token=demo-refresh-token",
    );
    assert.equal(refresh.status, 400);
    assert.equal(refresh.body.error, "invalid_grant");
    assert.equal((await portal.app("user.current", {}, OFFLINE_TOKEN)).status, 200);
    await credentials({ action: "restore", app: "local.itgrix.demo" });
    assert.equal((await portal.app("user.current", {}, ACCESS_TOKEN)).status, 200);
  });

  it("a revoked offline token is invalid_token; a newly issued one works at once", async () => {
    await credentials({ action: "revoke", offlineToken: OFFLINE_TOKEN });
    assert.equal((await portal.app("user.current", {}, OFFLINE_TOKEN)).body.error, "invalid_token");
    const issued = await credentials({ action: "issueOfflineToken", userId: 1 });
    assert.match(issued.body.token, /^offline-[0-9a-f]{24}$/);
    assert.equal((await portal.app("user.current", {}, issued.body.token)).status, 200);
  });

  it("a reset clears revocations", async () => {
    await credentials({ action: "revoke", webhook: "1/demo-webhook-secret" });
    await portal.reset();
    assert.equal((await portal.hook("user.current")).status, 200);
  });

  it("names exactly one credential", async () => {
    assert.equal((await credentials({ action: "revoke" })).status, 400);
    assert.equal((await credentials({ action: "revoke", app: "a", webhook: "1/x" })).status, 400);
  });
});

describe("scopes", () => {
  it("a webhook without telephony: 403 insufficient_scope per telephony command, inside a batch too", async () => {
    await credentials({ action: "scopes", webhook: "1/demo-webhook-secret", scopes: ["crm", "user"] });
    const single = await portal.hook("telephony.externalcall.register", register);
    assert.equal(single.status, 403);
    assert.equal(single.body.error, "insufficient_scope");
    assert.match(single.body.error_description, /webhook token/);
    const batch = await portal.hook("batch", {
      cmd: { u: "user.current", r: "telephony.externalcall.register?USER_ID=2&PHONE_NUMBER=%2B74951&TYPE=2" },
    });
    assert.equal(batch.status, 200);
    assert.ok(batch.body.result.result.u, "user scope is still granted");
    assert.equal(batch.body.result.result_error.r.error, "insufficient_scope");
    assert.equal((await portal.state()).calls.length, 0, "the refused command did not run");
  });

  it("an app's narrowed scopes apply to its OAuth and offline tokens; null grants everything again", async () => {
    await credentials({ action: "scopes", app: "local.itgrix.demo", scopes: ["user"] });
    assert.equal(
      (await portal.app("crm.contact.get", { id: 10 }, OFFLINE_TOKEN)).body.error,
      "insufficient_scope",
    );
    assert.equal((await portal.app("crm.contact.get", { id: 10 }, ACCESS_TOKEN)).status, 403);
    await credentials({ action: "scopes", app: "local.itgrix.demo", scopes: null });
    assert.equal((await portal.app("crm.contact.get", { id: 10 }, OFFLINE_TOKEN)).status, 200);
  });
});

describe("refusals of the whole request", () => {
  it("overload: 503 OVERLOAD_LIMIT (not the rate-limit code), nothing runs", async () => {
    await faults({ overload: true });
    const refused = await portal.hook("telephony.externalcall.register", register);
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error, "OVERLOAD_LIMIT");
    assert.equal((await portal.state()).calls.length, 0);
  });

  it("accessDenied: 403 ACCESS_DENIED", async () => {
    await faults({ accessDenied: true });
    const refused = await portal.hook("user.current");
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, "ACCESS_DENIED");
  });

  it("requestTimeout408: an HTML 408 page and a closed connection, nothing runs", async () => {
    await faults({ requestTimeout408: true });
    const refused = await raw(`${HOOK}/telephony.externalcall.register`, register);
    assert.equal(refused.status, 408);
    assert.match(refused.type, /text\/html/);
    assert.equal((await portal.state()).calls.length, 0);
  });

  it("a body over maxBodyBytes: an HTML 413 page, nothing runs, the rate limit does not count it", async () => {
    await portal.control("POST", "config", {
      maxBodyBytes: 2000,
      rateLimit: { burst: 1, drainPerSec: 0.01 },
    });
    const big = {
      cmd: Object.fromEntries(
        Array.from({ length: 40 }, (_, i) => [`r${i}`, `user.get?ID=${"1".repeat(60)}`]),
      ),
    };
    const refused = await raw(`${HOOK}/batch`, big);
    assert.equal(refused.status, 413);
    assert.match(refused.text, /413 Request Entity Too Large/);
    const small = await portal.hook("user.current");
    assert.equal(small.status, 200, "the one-request bucket was not spent by the refused body");
    const { requests } = await portal.state();
    assert.deepEqual(
      requests.map((r: { status: number }) => r.status),
      [413, 200],
    );
  });

  it("rejectBodyMatching: a body with the text gets an HTML 400 (a firewall rule); others pass", async () => {
    await faults({ rejectBodyMatching: "DROP TABLE" });
    const refused = await raw(`${HOOK}/batch`, { cmd: { a: "user.get?NAME=DROP TABLE" } });
    assert.equal(refused.status, 400);
    assert.match(refused.type, /text\/html/);
    assert.equal((await portal.hook("batch", { cmd: { a: "user.get?ID=1" } })).status, 200);
  });
});

describe("a portal host that is down", () => {
  it("outageMode refuse: connections are refused for the outage, then it listens again with its state", async () => {
    assert.equal((await portal.hook("telephony.externalcall.register", register)).status, 200);
    await faults({ outageForMs: 400, outageMode: "refuse" });
    await new Promise((r) => setTimeout(r, 60));
    await assert.rejects(portal.hook("user.current"), (e: Error) => {
      return (e.cause as { code?: string } | undefined)?.code === "ECONNREFUSED";
    });
    await new Promise((r) => setTimeout(r, 450));
    assert.equal((await portal.hook("user.current")).status, 200);
    assert.equal((await portal.state()).calls.length, 1, "the portal kept its state");
  });
});

describe("answers lost after the request ran", () => {
  for (const [mode, check] of [
    ["502", (r: { status: number; type: string }) => r.status === 502 && /html/.test(r.type)],
    ["html200", (r: { status: number; type: string }) => r.status === 200 && /html/.test(r.type)],
  ] as const) {
    it(`afterRun ${mode}: the call is registered, the answer is a page; afterRunCount clears it`, async () => {
      await faults({ afterRun: mode, afterRunCount: 1 });
      const first = await raw(`${HOOK}/telephony.externalcall.register`, register);
      assert.ok(check(first), `${first.status} ${first.type}`);
      const second = await raw(`${HOOK}/telephony.externalcall.register`, {
        ...register,
        PHONE_NUMBER: "+74957654321",
      });
      assert.equal(second.status, 200);
      assert.match(second.type, /json/);
      const state = await portal.state();
      assert.equal(state.calls.length, 2, "both ran");
      assert.equal(state.requests[0].answerLost, mode);
      assert.equal(state.requests[0].status, 200, "the log keeps what really happened");
    });
  }

  it("afterRun drop: the connection is destroyed after the call ran", async () => {
    await faults({ afterRun: "drop" });
    await assert.rejects(raw(`${HOOK}/telephony.externalcall.register`, register));
    assert.equal((await portal.state()).calls.length, 1);
  });

  it("afterRun hang: the call ran and no answer comes", async () => {
    await faults({ afterRun: "hang" });
    await assert.rejects(
      fetch(`${portal.url}${HOOK}/telephony.externalcall.register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(register),
        signal: AbortSignal.timeout(200),
      }),
    );
    const state = await portal.state();
    assert.equal(state.calls.length, 1);
    assert.equal(state.requests[0].answerLost, "hang");
  });

  it("a request refused by the rate limit does not use up afterRunCount", async () => {
    await portal.control("POST", "config", { rateLimit: { burst: 1, drainPerSec: 0.01 } });
    await faults({ afterRun: "502", afterRunCount: 1 });
    assert.equal((await raw(`${HOOK}/user.current`, {})).status, 502);
    assert.equal((await raw(`${HOOK}/user.current`, {})).status, 503);
    assert.equal((await portal.state()).faults.afterRun, null);
  });
});
