import { test } from "node:test";
import assert from "node:assert/strict";
import { startEmulator } from "../../../emulator/server.ts";
import { BitrixClient } from "../../../workers/bitrix/client.ts";
import { createWebhookAuth } from "../../../workers/bitrix/webhookAuth.ts";
import {
  WEBHOOK_PATH,
  control,
  deliveryFor,
  emulatorState,
  finishedCall,
  testConfig,
  useEmulatorAndRedis,
} from "./harness.ts";

const setup = useEmulatorAndRedis();

const oauth = (url = setup.emulator.url) => ({
  type: "oauth",
  restUrl: `${url}/rest/`,
  oauthUrl: `${url}/oauth/token/`,
  clientId: "local.itgrix.demo",
  clientSecret: "demo-client-secret",
  accessToken: "demo-access-token",
  refreshToken: "demo-refresh-token",
});

test("given expired tokens and 4 delivery instances at once, then exactly one refresh happens", async () => {
  const prefix = `oauth4_${process.pid}`;
  const first = deliveryFor(setup.redisUrl, testConfig({ auth: oauth() }), prefix);
  assert.ok((await first.delivery.send(finishedCall("oauth-warmup"))).every((r) => r.ok));
  await control(setup.emulator.url, "faults", { expireTokens: true });
  const others = [1, 2, 3].map(() => deliveryFor(setup.redisUrl, testConfig({ auth: oauth() }), prefix));
  const all = [first, ...others];
  const results = await Promise.all(
    all.flatMap((h, w) =>
      Array.from({ length: 5 }, (_, i) => h.delivery.send(finishedCall(`oauth-${w}-${i}`))),
    ),
  );
  assert.ok(
    results.every((r) => r.every((c) => c.ok)),
    JSON.stringify(results.find((r) => !r.every((c) => c.ok))),
  );
  const stats = all.map((h) => h.delivery.stats());
  const record = JSON.parse(
    (await first.redis.get(first.keys.oauthTokens("127.0.0.1:" + setup.emulator.port)))!,
  ) as {
    accessToken: string;
    refreshToken: string;
  };
  await Promise.all(all.map((h) => h.close()));
  const state = await emulatorState(setup.emulator.url);
  assert.equal(state.requests.filter((r) => r.method === "oauth.token").length, 1);
  assert.notEqual(record.refreshToken, "demo-refresh-token", "the new refresh token is persisted");
  assert.ok(stats.every((s) => s.authState === "ok"));
  for (const s of stats)
    assert.ok(!JSON.stringify(s).includes(record.accessToken), "a token leaked into stats");
});

test("given a refresh token already rotated in Redis, then a new instance starts from Redis, not config", async () => {
  // A portal of its own: refresh tokens rotate for good (an emulator reset keeps the token store).
  const ownPortal = await startEmulator({ port: 0, rateLimit: null, operatingLimitSec: null });
  const prefix = `oauthseed_${process.pid}`;
  const a = deliveryFor(setup.redisUrl, testConfig({ auth: oauth(ownPortal.url) }), prefix);
  await a.delivery.send(finishedCall("seed-0"));
  await control(ownPortal.url, "faults", { expireTokens: true });
  await a.delivery.send(finishedCall("seed-1")); // refresh #1: the config's refresh token is now used up
  await a.close();
  await control(ownPortal.url, "faults", { expireTokens: true });
  const b = deliveryFor(setup.redisUrl, testConfig({ auth: oauth(ownPortal.url) }), prefix);
  const r = await b.delivery.send(finishedCall("seed-2")); // refresh #2 must use the rotated token
  await b.close();
  const state = await emulatorState(ownPortal.url);
  await ownPortal.close();
  assert.ok(
    r.every((c) => c.ok),
    JSON.stringify(r),
  );
  assert.deepEqual(
    state.requests.filter((q) => q.method === "oauth.token").map((q) => q.status),
    [200, 200],
  );
});

test("given a method at its operating limit, then it waits for operating_reset_at and is then delivered", async () => {
  const webhookUrl = setup.emulator.url + WEBHOOK_PATH;
  await control(setup.emulator.url, "config", { operatingLimitSec: 1, commandCostMs: 100 });
  // Spend register's budget (10 × 100 ms) with a plain client, then move the portal's clock to 3 s
  // before the oldest one-minute bucket leaves the 10-minute window.
  const plain = new BitrixClient({ auth: createWebhookAuth(webhookUrl), requestTimeoutMs: 5000 });
  for (let i = 0; i < 10; i++) {
    await plain.callMethod("telephony.externalcall.register", {
      USER_ID: 2,
      PHONE_NUMBER: `+7495600000${i}`,
      TYPE: 2,
      SHOW: 0,
    });
  }
  const now = (await emulatorState(setup.emulator.url)).now;
  const resetAtMs = (Math.floor(now / 60_000) + 10) * 60_000;
  await control(setup.emulator.url, "clock", { advanceMs: resetAtMs - now - 3000 });

  const h = deliveryFor(
    setup.redisUrl,
    testConfig({ auth: { type: "webhook", webhookUrl }, operatingLimitSec: 1 }),
  );
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: 4 }, (_, i) =>
      h.delivery.send({ ...finishedCall(`op-${i}`), commands: finishedCall(`op-${i}`).commands.slice(0, 1) }),
    ),
  );
  const waited = Date.now() - started;
  await h.close();
  assert.ok(
    results.every((r) => r.every((c) => c.ok)),
    JSON.stringify(results),
  );
  assert.ok(waited >= 2000 && waited < 15_000, `waited ${waited} ms`);
  const state = await emulatorState(setup.emulator.url);
  const batches = state.requests.filter((r) => r.method === "batch");
  // One batch got the 429s, the re-sent commands went once after the reset: no hammering meanwhile.
  assert.ok(batches.length <= 3, `${batches.length} batches`);
  const lastBatch = batches.at(-1)!;
  assert.ok(lastBatch.at >= resetAtMs, `re-sent ${resetAtMs - lastBatch.at} ms before operating_reset_at`);
});
