/**
 * The callback form while Redis is away: the event is acknowledged but nothing rings (the callback
 * cannot be made durable), and no dedupe mark is left behind — the same form sent again once Redis
 * is back (what the offline event queue does) is taken, rings, and reaches the CRM once as TYPE 4.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startRedisServer, type RedisServer } from "../../../testbed/redisServer.ts";
import { crmCallsMatching, startStack, waitForCrmCall, type Stack } from "../../support/stack.ts";
import { sleep } from "../e2e/expect.ts";
import { until } from "./ledger.ts";

const LINE = "4951110060";
const PHONE = "+74951200031";

describe("chaos: the callback form while Redis is stopped", () => {
  let dir: string;
  let redis: RedisServer;
  let stack: Stack;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "itgrix-callback-outage-"));
    redis = await startRedisServer({ appendonly: true, dir });
    stack = await startStack({
      redisUrl: redis.url,
      groups: { cb: { strategy: "ringall", members: [111], groupTimeoutSec: 3 } },
      dids: { [LINE]: { group: "cb" } },
      operators: { 111: "noAnswer" },
      config: { bitrix: { applicationToken: "demo-application-token" }, redis: { routingTimeoutMs: 500 } },
    });
    const bound = await fetch(`${stack.emulator.url}/rest/event.bind`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        auth: "demo-access-token",
        event: "ONEXTERNALCALLBACKSTART",
        handler: `http://127.0.0.1:${stack.httpPort}/bitrix/events`,
      }),
    });
    assert.equal(bound.status, 200);
  });
  after(async () => {
    await stack?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function fire(): Promise<void> {
    const res = await fetch(`${stack.emulator.url}/_emulator/events/fire`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        event: "ONEXTERNALCALLBACKSTART",
        data: { PHONE_NUMBER: PHONE, LINE_NUMBER: LINE },
      }),
    });
    const fired = (await res.json()) as { delivered: number };
    assert.equal(fired.delivered, 1, JSON.stringify(fired));
  }

  test("given Redis stopped, then nothing rings; once Redis is back the same form rings and reaches the CRM once", async () => {
    await redis.stop();
    await fire();
    await sleep(2500);
    assert.equal(stack.phone(111).calls(), 0, "nothing rang while the callback could not be made durable");

    redis = await startRedisServer({ appendonly: true, dir, port: redis.port });
    await until("the app to see Redis again", async () => (await stack.appStatus()).redis.reachable === true);
    await fire();
    await stack.phone(111).waitFor((s) => s.calls >= 1, 10_000);
    const call = await waitForCrmCall(stack, { phone: PHONE });
    assert.equal(call.TYPE, 4);
    assert.equal(call.finish?.STATUS_CODE, "304");
    assert.equal((await crmCallsMatching(stack, PHONE)).length, 1);
  });
});
