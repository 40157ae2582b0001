/**
 * Chaos: Redis goes away while calls run (a private Redis with AOF on, stopped for 30 s, then paused).
 * A bridged call keeps talking and its end is handled at once (the operator is hung up when the client
 * leaves), its events wait in the app's outbox and reach the CRM, right, when Redis is back. A new call
 * during the outage is handed to the dialplan fallback (ITGRIX_FALLBACK_DIAL: 101 & 102 on the
 * testbed) within the routing budget instead of hearing nothing; re-processing from CDR/CEL puts it in
 * the CRM later. `/metrics` answers during the outage with `itgrix_redis_up 0`. Calls before and after
 * are untouched. Prints how long a new call waited.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { startRedisServer, type RedisServer } from "../../../testbed/redisServer.ts";
import { startStack, type Stack } from "../../support/stack.ts";
import { clientCalls, userOf } from "../e2e/expect.ts";
import { CallLedger, sleep, until } from "./ledger.ts";

const DID = "4951710001";
const ROUTING_TIMEOUT_MS = 1000;
const OUTAGE_MS = 30_000;
const METRICS_TOKEN = "scrape-token-of-the-outage-test";

describe("chaos: Redis outage", () => {
  let dir: string;
  let redis: RedisServer;
  let stack: Stack;
  const ledger = new CallLedger("7495171");

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "itgrix-redis-outage-"));
    redis = await startRedisServer({ appendonly: true, dir });
    stack = await startStack({
      redisUrl: redis.url,
      groups: { solo: { strategy: "ringall", members: [110], groupTimeoutSec: 15 } },
      dids: { [DID]: { group: "solo" } },
      operators: { 110: { answerAfterMs: 300 }, 101: { answerAfterMs: 300 }, 102: "noAnswer" },
      config: { redis: { routingTimeoutMs: ROUTING_TIMEOUT_MS }, http: { metricsToken: METRICS_TOKEN } },
    });
  });
  after(async () => {
    await stack?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A call to the DID that the fallback (101) must take; returns how long it waited for 101 to ring. */
  async function fallbackCall(phase: "during"): Promise<number> {
    const phone = ledger.phone();
    const rung = stack.phone(101).calls();
    const t0 = Date.now();
    const call = clientCalls({ from: phone, to: DID, talkMs: 1000, expectAnswer: true });
    await stack.phone(101).waitFor((s) => s.calls > rung, ROUTING_TIMEOUT_MS + 5000);
    const waited = Date.now() - t0;
    await call;
    ledger.expect(phone, phase, { kind: "fallback" });
    return waited;
  }

  test("given Redis stopped for 30 s while a call talks, then the talk goes on and ends right, new calls ring the fallback at once, and nothing is lost once Redis is back", async () => {
    const op110 = stack.phone(110);
    const first = ledger.phone();
    await clientCalls({ from: first, to: DID, talkMs: 1500, expectAnswer: true });
    ledger.expect(first, "before", { kind: "crm", userId: userOf(110), status: "200", durationSec: 1.5 });

    const talking = ledger.phone();
    const talk = clientCalls({ from: talking, to: DID, talkMs: 8000, expectAnswer: true });
    await op110.waitFor((s) => s.answered >= 2, 10_000);
    await sleep(500);
    await redis.stop();
    const stoppedAt = Date.now();

    const waited = await fallbackCall("during");
    const during = await stack.appStatus();
    assert.equal(during.redis.reachable, false);
    assert.equal(during.redis.callWrites?.redisUp, false);
    assert.ok((during.redis.callWrites?.handedToDialplan ?? 0) >= 1, JSON.stringify(during.redis));
    assert.ok(
      during.problems.some((p) => p.includes("call writes wait for Redis")),
      `${during.problems}`,
    );
    // A scrape during the outage answers (Prometheus must see the outage, not a timeout).
    const scrape = await fetch(`http://127.0.0.1:${stack.httpPort}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(scrape.status, 200);
    assert.match(await scrape.text(), /^itgrix_redis_up 0$/m);

    await talk; // the client hangs up 8 s after the answer, Redis still away
    const hungUp = Date.now();
    await op110.waitFor((s) => s.remoteHangups >= 2, 3000);
    const operatorFreedMs = Date.now() - hungUp;
    const outbox = (await stack.appStatus()).redis.callWrites?.outbox ?? 0;
    assert.ok(outbox > 0, "the talking call's end waits in the outbox");
    ledger.expect(talking, "during", { kind: "crm", userId: userOf(110), status: "200", durationSec: 8 });

    await sleep(OUTAGE_MS - (Date.now() - stoppedAt));
    redis = await startRedisServer({ appendonly: true, dir, port: redis.port });
    await until("the app's writes to reach Redis", async () => {
      const writes = (await stack.appStatus()).redis.callWrites;
      return writes?.redisUp === true && writes.outbox === 0 && writes.pending === 0;
    });

    const last = ledger.phone();
    await clientCalls({ from: last, to: DID, talkMs: 1500, expectAnswer: true });
    ledger.expect(last, "after", { kind: "crm", userId: userOf(110), status: "200", durationSec: 1.5 });
    const summary = await ledger.verify(stack);
    process.stdout.write(
      `# redis stopped ${OUTAGE_MS / 1000} s: fallback rang ${waited} ms after the call; operator hung up ${operatorFreedMs} ms after the client; ${outbox} write(s) in the outbox; ${summary}\n`,
    );
    assert.ok(waited < ROUTING_TIMEOUT_MS, `the caller waited ${waited} ms for the fallback`);
    assert.ok(operatorFreedMs < 2000, `the operator was hung up ${operatorFreedMs} ms after the client`);
  });

  test("given Redis hangs (every client paused), when a call comes, then the fallback rings within the routing budget and the call is not followed", async () => {
    const admin = new Redis(redis.url);
    await admin.client("PAUSE", 4000, "ALL");
    const waited = await fallbackCall("during");
    admin.disconnect();
    await until(
      "Redis to answer the app again",
      async () => (await stack.appStatus()).redis.callWrites?.redisUp === true,
    );
    const last = ledger.phone();
    await clientCalls({ from: last, to: DID, talkMs: 1000, expectAnswer: true });
    ledger.expect(last, "after", { kind: "crm", userId: userOf(110), status: "200", durationSec: 1 });
    const summary = await ledger.verify(stack);
    process.stdout.write(
      `# redis hung: fallback rang ${waited} ms after the call (budget ${ROUTING_TIMEOUT_MS} ms); ${summary}\n`,
    );
    assert.ok(
      waited >= ROUTING_TIMEOUT_MS - 100,
      `a hung Redis is only known after the budget (${waited} ms)`,
    );
    assert.ok(waited < ROUTING_TIMEOUT_MS + 1500, `the caller waited ${waited} ms for the fallback`);
    const calls = await stack.appCalls();
    assert.equal(calls.filter((c) => c.phase !== "ended").length, 0, "no call left open in Redis");
  });
});
