import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../../../core/config/schema.ts";
import { DeliveryError } from "../../../workers/delivery/deliveryError.ts";
import type { CommandGroup } from "../../../workers/delivery/types.ts";
import {
  TestClock,
  WEBHOOK_PATH,
  callsPerExternalId,
  control,
  deliverThroughHolds,
  deliveryFor,
  emulatorState,
  finishedCall,
  testConfig,
  uniquePrefix,
  useEmulatorAndRedis,
  type EmulatorState,
  type Harness,
} from "./harness.ts";

/**
 * Portal-wide refusals hold delivery, they never fail a call: calls before, during and after the
 * fault, the hold named with its cause in the delivery's view, nothing sent while held but probes,
 * and every call in the CRM exactly once once the admin has fixed the cause. The hold's clock is the
 * test's (probes come due when the test says so).
 */

const setup = useEmulatorAndRedis();
const HOLD = { probeMinMs: 1_000, probeMaxMs: 8_000 };

const calls = (prefix: string, n: number): CommandGroup[] =>
  Array.from({ length: n }, (_, i) => finishedCall(`${prefix}-${i}`));

function open(config: Config, clock: TestClock, prefix = uniquePrefix("hold")): Harness {
  return deliveryFor(setup.redisUrl, config, prefix, { now: clock.now, hold: HOLD });
}

const heldOnly = (outcomes: PromiseSettledResult<unknown>[]) =>
  outcomes.every(
    (o) => o.status === "rejected" && o.reason instanceof DeliveryError && o.reason.reason === "held",
  );

const requestsNow = async (): Promise<number> => (await emulatorState(setup.emulator.url)).requests.length;

function assertEachOnceFinished(state: EmulatorState, prefix: string, n: number): void {
  const counts = callsPerExternalId(state, prefix);
  assert.equal(counts.size, n, `${prefix}: ${counts.size} of ${n} calls in the CRM`);
  assert.ok(
    [...counts.values()].every((c) => c === 1),
    `${prefix}: a call was registered twice`,
  );
  const finished = state.calls.filter((c) => c.EXTERNAL_CALL_ID.startsWith(prefix) && c.state === "finished");
  assert.equal(finished.length, n, `${prefix}: every call finished`);
}

/**
 * The common story: calls before the fault are delivered; the fault starts; calls during it are all
 * held (the first batch meets the refusal, later sends are refused without a request but for the
 * probes); the cause is fixed; everything held is delivered once.
 */
async function holdStory(options: {
  name: string;
  config: Config;
  breakIt: () => Promise<unknown>;
  fixIt: () => Promise<unknown>;
  cause: string;
  kind: string;
}): Promise<void> {
  const clock = new TestClock();
  const h = open(options.config, clock);
  try {
    const before = await deliverThroughHolds(h.delivery, calls(`${options.name}-before`, 5), clock, 0, 1);
    assert.equal(before.results.size, 5, "delivered before the fault");

    await options.breakIt();
    const during = calls(`${options.name}-during`, 8);
    assert.ok(heldOnly(await Promise.allSettled(during.map((g) => h.delivery.send(g)))), "held, not failed");
    const hold = await h.delivery.hold();
    assert.ok(hold, "the hold is in Redis");
    assert.equal(hold.code, options.cause);
    assert.equal(hold.kind, options.kind);
    assert.equal(hold.probes, 0);

    // While held and no probe is due: refused at once, nothing reaches the portal.
    const quiet = await requestsNow();
    assert.ok(heldOnly(await Promise.allSettled(during.map((g) => h.delivery.send(g)))));
    assert.equal(await requestsNow(), quiet, "nothing sent while held");
    // A probe comes due: one request, refused again; the hold stays.
    clock.advance(HOLD.probeMinMs);
    assert.ok(heldOnly(await Promise.allSettled(during.map((g) => h.delivery.send(g)))));
    assert.equal(await requestsNow(), quiet + 1, "one probe");
    const probed = (await h.delivery.hold())!;
    assert.equal(probed.probes, 1);
    assert.ok(probed.heldSends >= 16, `held sends counted: ${probed.heldSends}`);

    await options.fixIt();
    const after = calls(`${options.name}-after`, 4);
    const redelivery = await deliverThroughHolds(h.delivery, [...during, ...after], clock, HOLD.probeMaxMs);
    assert.deepEqual(redelivery.others, [], "no rejection but held");
    assert.equal(redelivery.left.length, 0, "everything held was delivered");
    assert.equal(await h.delivery.hold(), null, "the hold is cleared");
  } finally {
    await h.close();
  }
  const state = await emulatorState(setup.emulator.url);
  assertEachOnceFinished(state, `${options.name}-before`, 5);
  assertEachOnceFinished(state, `${options.name}-during`, 8);
  assertEachOnceFinished(state, `${options.name}-after`, 4);
}

const credentials = (body: Record<string, unknown>) => control(setup.emulator.url, "credentials", body);
const faults = (body: Record<string, unknown>) => control(setup.emulator.url, "faults", body);

test("given the webhook revoked mid-traffic, then calls are held (INVALID_CREDENTIALS) and delivered once it is restored", async () => {
  await holdStory({
    name: "revoked",
    config: testConfig({ auth: setup.webhook() }),
    breakIt: () => credentials({ action: "revoke", webhook: "1/demo-webhook-secret" }),
    fixIt: () => credentials({ action: "restore", webhook: "1/demo-webhook-secret" }),
    cause: "INVALID_CREDENTIALS",
    kind: "credentials",
  });
});

test("given OVERLOAD_LIMIT, then calls are held as blocked and delivered once the block is lifted", async () => {
  await holdStory({
    name: "overload",
    config: testConfig({ auth: setup.webhook() }),
    breakIt: () => faults({ overload: true }),
    fixIt: () => faults({ overload: false }),
    cause: "OVERLOAD_LIMIT",
    kind: "blocked",
  });
});

test("given ACCESS_DENIED for the whole portal, then calls are held and delivered once access is back", async () => {
  await holdStory({
    name: "denied",
    config: testConfig({ auth: setup.webhook() }),
    breakIt: () => faults({ accessDenied: true }),
    fixIt: () => faults({ accessDenied: false }),
    cause: "ACCESS_DENIED",
    kind: "rights",
  });
});

test("given the telephony scope taken away (insufficient_scope inside the batch), then held until it is granted", async () => {
  await holdStory({
    name: "scope",
    config: testConfig({ auth: setup.webhook() }),
    breakIt: () =>
      credentials({ action: "scopes", webhook: "1/demo-webhook-secret", scopes: ["crm", "user", "im"] }),
    fixIt: () => credentials({ action: "scopes", webhook: "1/demo-webhook-secret", scopes: null }),
    cause: "insufficient_scope",
    kind: "rights",
  });
});

test("given register and finish refused to webhooks (WRONG_AUTH_TYPE inside the batch), then held until they are allowed", async () => {
  await holdStory({
    name: "authtype",
    config: testConfig({ auth: setup.webhook() }),
    breakIt: () => control(setup.emulator.url, "config", { webhookTelephony: false }),
    fixIt: () => control(setup.emulator.url, "config", { webhookTelephony: true }),
    cause: "WRONG_AUTH_TYPE",
    kind: "rights",
  });
});

test("given every batch refused with 408, then held as a request problem until it stops", async () => {
  await holdStory({
    name: "r408",
    config: testConfig({ auth: setup.webhook() }),
    breakIt: () => faults({ requestTimeout408: true }),
    fixIt: () => faults({ requestTimeout408: false }),
    cause: "HTTP_408",
    kind: "request",
  });
});

test("given a portal body limit below our batches (413), then held until the limit is raised", async () => {
  await holdStory({
    name: "r413",
    config: testConfig({ auth: setup.webhook() }),
    breakIt: () => control(setup.emulator.url, "config", { maxBodyBytes: 300 }),
    fixIt: () => control(setup.emulator.url, "config", { maxBodyBytes: 16 * 1024 * 1024 }),
    cause: "HTTP_413",
    kind: "request",
  });
});

test("given the OAuth app revoked (its access token invalid_token), then held and delivered once it is restored", async () => {
  const url = setup.emulator.url;
  await holdStory({
    name: "oauth",
    config: testConfig({
      auth: {
        type: "oauth",
        restUrl: `${url}/rest/`,
        oauthUrl: `${url}/oauth/token/`,
        clientId: "local.itgrix.demo",
        clientSecret: "demo-client-secret",
        accessToken: "demo-access-token",
        refreshToken: "demo-refresh-token",
      },
    }),
    breakIt: () => credentials({ action: "revoke", app: "local.itgrix.demo" }),
    fixIt: () => credentials({ action: "restore", app: "local.itgrix.demo" }),
    cause: "invalid_token",
    kind: "credentials",
  });
});

test("given the token file deleted, then half-written, then written whole, then held with no request sent and delivered after", async () => {
  const dir = mkdtempSync(join(tmpdir(), "itgrix-hold-token-"));
  const file = join(dir, "token.json");
  writeFileSync(file, JSON.stringify({ access_token: "demo-offline-token" }));
  const clock = new TestClock();
  const config = testConfig({
    auth: { type: "offline", restUrl: `${setup.emulator.url}/rest/`, tokenFiles: [file] },
  });
  const h = open(config, clock);
  try {
    const before = await deliverThroughHolds(h.delivery, calls("tokfile-before", 3), clock, 0, 1);
    assert.equal(before.results.size, 3);
    unlinkSync(file);
    await new Promise((r) => setTimeout(r, 1100)); // the provider re-reads files at most once a second
    const quiet = await requestsNow();
    const during = calls("tokfile-during", 5);
    assert.ok(heldOnly(await Promise.allSettled(during.map((g) => h.delivery.send(g)))));
    assert.equal((await h.delivery.hold())?.code, "NO_VALID_TOKEN");
    assert.equal((await h.delivery.hold())?.kind, "token_file");
    assert.equal(await requestsNow(), quiet, "no token: nothing was sent at all");
    assert.equal(await h.delivery.holdBlocks(), true, "a held job waits for the probe");

    // An admin's editor writes the file in two steps: the half-written file is no token either.
    writeFileSync(file, '{"access_token":"demo-offl');
    await new Promise((r) => setTimeout(r, 1100));
    assert.ok(heldOnly(await Promise.allSettled(during.map((g) => h.delivery.send(g)))));
    assert.equal((await h.delivery.hold())?.code, "NO_VALID_TOKEN");
    assert.equal(await requestsNow(), quiet, "still nothing sent");

    writeFileSync(file, JSON.stringify({ access_token: "demo-offline-token" }));
    await new Promise((r) => setTimeout(r, 1100));
    // The file changed: the credentials' fingerprint differs, so a probe goes at once (no clock move).
    assert.equal(await h.delivery.holdBlocks(), false, "a held job need not wait for the schedule");
    const redelivery = await deliverThroughHolds(h.delivery, during, clock, 0, 3);
    assert.deepEqual(redelivery.others, []);
    assert.equal(redelivery.left.length, 0);
    assert.equal(await h.delivery.hold(), null);
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const state = await emulatorState(setup.emulator.url);
  assertEachOnceFinished(state, "tokfile-before", 3);
  assertEachOnceFinished(state, "tokfile-during", 5);
});

test("given a hold entered by one process, then another process of the cluster refuses at once without a request", async () => {
  const clock = new TestClock();
  const prefix = uniquePrefix("cluster");
  const wrong = testConfig({
    auth: { type: "webhook", webhookUrl: `${setup.emulator.url}/rest/1/wrong-secret/` },
  });
  const a = open(wrong, clock, prefix);
  const b = open(wrong, clock, prefix);
  try {
    assert.ok(heldOnly(await Promise.allSettled([a.delivery.send(finishedCall("cluster-a"))])));
    const quiet = await requestsNow();
    const started = Date.now();
    assert.ok(heldOnly(await Promise.allSettled(calls("cluster-b", 20).map((g) => b.delivery.send(g)))));
    assert.ok(Date.now() - started < 1000, "refused at once");
    assert.equal(await requestsNow(), quiet);
    assert.equal((await b.delivery.hold())?.code, "INVALID_CREDENTIALS");
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test("given a wrong webhook URL fixed by a restart with the right one, then the new process probes at once and delivers", async () => {
  const clock = new TestClock();
  const prefix = uniquePrefix("fixurl");
  const old = open(
    testConfig({ auth: { type: "webhook", webhookUrl: `${setup.emulator.url}/rest/1/mistyped-secret/` } }),
    clock,
    prefix,
  );
  const held = calls("fixurl", 6);
  assert.ok(heldOnly(await Promise.allSettled(held.map((g) => old.delivery.send(g)))));
  await old.close();
  // The restarted worker: same Redis, the hold still there, no clock move, but other credentials.
  const fixed = open(
    testConfig({ auth: { type: "webhook", webhookUrl: setup.emulator.url + WEBHOOK_PATH } }),
    clock,
    prefix,
  );
  try {
    assert.ok(await fixed.delivery.hold(), "the hold outlived the process");
    const redelivery = await deliverThroughHolds(fixed.delivery, held, clock, 0, 3);
    assert.deepEqual(redelivery.others, []);
    assert.equal(redelivery.left.length, 0, "delivered without waiting for the probe schedule");
    assert.equal(await fixed.delivery.hold(), null);
  } finally {
    await fixed.close();
  }
  assertEachOnceFinished(await emulatorState(setup.emulator.url), "fixurl", 6);
});
