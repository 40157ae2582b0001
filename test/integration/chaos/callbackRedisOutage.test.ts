/**
 * Clicks and the callback form while Redis is away. The portal never re-sends an online event, so the
 * app answers 200 and holds what it could not take in a local file; nothing rings while nothing can be
 * made durable. Once Redis is back, the held events are taken by themselves, in order: the callback
 * rings its group and reaches the CRM once as TYPE 4; a click that waited no longer than
 * `events.clickMaxWaitSec` rings its user; a click that waited longer rings nobody and its portal call
 * is finished as failed with the reason. The same form sent again is a duplicate.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { heldEventsFile } from "../../../app/crmEvents/heldEvents.ts";
import { startRedisServer, type RedisServer } from "../../../testbed/redisServer.ts";
import type { CrmCall } from "../../support/e2eCrm.ts";
import { crmCallsMatching, startStack, waitForCrmCall, type Stack } from "../../support/stack.ts";
import { sleep, userOf } from "../e2e/expect.ts";
import { until } from "./ledger.ts";

const LINE = "4951110060";
const PHONE = "+74951200031";
const CLICK = { late: "+74951300061", fresh: "+74951300062" };
const MAX_WAIT_SEC = 4;

type Finish = NonNullable<CrmCall["finish"]> & { FAILED_REASON?: string };

describe("chaos: clicks and the callback form while Redis is stopped", () => {
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
      operators: { 111: "noAnswer", 117: "noAnswer", 118: "noAnswer" },
      config: {
        bitrix: { applicationToken: "demo-application-token" },
        redis: { routingTimeoutMs: 500 },
        events: { clickRingTimeoutSec: 3, clickMaxWaitSec: MAX_WAIT_SEC },
        routing: { operators: ["111", "117", "118"] },
      },
    });
    for (const event of ["ONEXTERNALCALLBACKSTART", "ONEXTERNALCALLSTART"]) {
      const bound = await fetch(`${stack.emulator.url}/rest/event.bind`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          auth: "demo-access-token",
          event,
          handler: `http://127.0.0.1:${stack.httpPort}/bitrix/events`,
        }),
      });
      assert.equal(bound.status, 200);
    }
    await until("the user directory in Redis", async () => {
      return (await stack.redis.keys(`${stack.prefix}:directory:*`)).length > 0;
    });
  });
  after(async () => {
    await stack?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function fire(event: string, data: Record<string, string>): Promise<string> {
    const res = await fetch(`${stack.emulator.url}/_emulator/events/fire`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ event, data }),
    });
    const fired = (await res.json()) as { delivered: number; CALL_ID?: string };
    assert.equal(fired.delivered, 1, `answered 200: ${JSON.stringify(fired)}`);
    return fired.CALL_ID ?? "";
  }
  const form = { PHONE_NUMBER: PHONE, LINE_NUMBER: LINE };
  const click = (ext: number, phone: string) => ({ USER_ID: String(userOf(ext)), PHONE_NUMBER: phone });

  test("given Redis stopped, then nothing rings; once it is back the held form and the fresh click ring by themselves, the late click is finished with the reason", async () => {
    await redis.stop();
    const lateId = await fire("ONEXTERNALCALLSTART", click(117, CLICK.late));
    await fire("ONEXTERNALCALLBACKSTART", form);
    await sleep((MAX_WAIT_SEC + 1) * 1000);
    const freshId = await fire("ONEXTERNALCALLSTART", click(118, CLICK.fresh));
    await sleep(500);
    for (const ext of [111, 117, 118]) assert.equal(stack.phone(ext).calls(), 0, `${ext} did not ring yet`);
    const file = heldEventsFile(stack.config.redis.outboxFile);
    assert.equal(readFileSync(file, "utf8").trim().split("\n").length, 3, "three events held on disk");

    redis = await startRedisServer({ appendonly: true, dir, port: redis.port });
    const backAt = Date.now();
    await stack.phone(111).waitFor((s) => s.calls >= 1, 15_000);
    await stack.phone(118).waitFor((s) => s.calls >= 1, 15_000);
    const rangMs = Date.now() - backAt;
    const callback = await waitForCrmCall(stack, { phone: PHONE });
    assert.equal(callback.TYPE, 4);
    assert.equal(callback.finish?.STATUS_CODE, "304");
    const fresh = await waitForCrmCall(stack, (c) => c.CALL_ID === freshId && !!c.finish);
    assert.equal(fresh.finish?.STATUS_CODE, "304", "the fresh click rang its user, who did not answer");
    const late = await waitForCrmCall(stack, (c) => c.CALL_ID === lateId && !!c.finish);
    const lateFinish = late.finish as Finish;
    assert.equal(lateFinish.USER_ID, userOf(117));
    assert.notEqual(lateFinish.STATUS_CODE, "200");
    assert.match(lateFinish.FAILED_REASON ?? "", /could not take the click for \d+ s/);
    assert.equal(stack.phone(117).calls(), 0, "the late click rang nobody");
    assert.ok(!existsSync(file) || readFileSync(file, "utf8") === "", "nothing held any more");

    await fire("ONEXTERNALCALLBACKSTART", form); // the same form again: a duplicate
    await sleep(2000);
    assert.equal(stack.phone(111).calls(), 1, "the form rang once");
    assert.equal((await crmCallsMatching(stack, PHONE)).length, 1);
    process.stdout.write(
      `# held events rang ${rangMs} ms after Redis was back; late click: ${lateFinish.STATUS_CODE} "${lateFinish.FAILED_REASON}"\n`,
    );
  });
});
