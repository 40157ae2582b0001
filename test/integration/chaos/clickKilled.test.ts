/**
 * Chaos: the app (a real child process) is killed with -9 while the phones of two clicks and a
 * callback ring, and started again some seconds later. Nothing is lost silently and nothing rings
 * twice:
 * - a clicking user who answers while the app is dead gets the client once the app is back, and the
 *   portal's CALL_ID is finished 200 for them;
 * - a clicking user whose phone stopped ringing while the app was dead (the ring timeout) gets the
 *   CALL_ID finished as not reached, with a reason;
 * - the operator who answers a ringing callback while the app is dead gets the client, TYPE 4;
 * - the same click and form delivered again after the restart (the dedupe is in Redis) ring nobody.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { encodeBrackets } from "../../../emulator/http/brackets.ts";
import type { CrmCall } from "../../support/e2eCrm.ts";
import { startClient, type PhoneHandle, type UasBehaviour } from "../../support/sipp.ts";
import { crmCallsMatching, startStack, waitForCrmCall, type Stack } from "../../support/stack.ts";
import { expectFinished, sleep, userOf } from "../e2e/expect.ts";
import { userDirectoryReady } from "../../support/userDirectory.ts";

const APP_TOKEN = "demo-application-token";
const LINE = "4951110070";
const CLICK_RING_SEC = 6;
const NUMBER = { answered: "+74951300071", timedOut: "+74951300072", callback: "+74951300073" };

type Finish = NonNullable<CrmCall["finish"]> & { FAILED_REASON?: string };

/** The client UAS has one fixed port shared with other suites: retry a bind failure for a while. */
async function client(behaviour: UasBehaviour): Promise<PhoneHandle> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      return await startClient({ behaviour });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(2000);
    }
  }
}

async function emulatorPost(stack: Stack, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${stack.emulator.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as Record<string, unknown>;
}

async function fire(stack: Stack, event: string, data: Record<string, string>): Promise<string> {
  const fired = await emulatorPost(stack, "/_emulator/events/fire", { event, data });
  assert.equal(fired.delivered, 1, `the app took ${event}: ${JSON.stringify(fired)}`);
  return String(fired.CALL_ID ?? "");
}

/** The event posted again to the app, as a re-delivery would look. */
async function postAgain(stack: Stack, event: string, data: Record<string, string>): Promise<number> {
  const auth = { domain: "demo.bitrix24.test", member_id: "m1", application_token: APP_TOKEN };
  const res = await fetch(`http://127.0.0.1:${stack.httpPort}/bitrix/events`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: encodeBrackets({ event, data, ts: "1", auth }),
  });
  return res.status;
}

describe("chaos: the app killed while click-to-call and callback phones ring", () => {
  let stack: Stack;
  let phone: PhoneHandle | undefined;

  before(async () => {
    stack = await startStack({
      appProcess: "child",
      auth: "oauth",
      cardMode: "ring",
      groups: { cb: { strategy: "ringall", members: [119], groupTimeoutSec: 30 } },
      dids: { [LINE]: { group: "cb" } },
      operators: { 117: { answerAfterMs: 4000 }, 118: "noAnswer", 119: { answerAfterMs: 4000 } },
      config: {
        bitrix: { applicationToken: APP_TOKEN },
        events: { clickRingTimeoutSec: CLICK_RING_SEC },
        routing: { operators: ["117", "118", "119"] },
      },
    });
    for (const event of ["ONEXTERNALCALLSTART", "ONEXTERNALCALLBACKSTART"]) {
      await emulatorPost(stack, "/rest/event.bind", {
        auth: "demo-access-token",
        event,
        handler: `http://127.0.0.1:${stack.httpPort}/bitrix/events`,
      });
    }
    await userDirectoryReady(stack);
  });
  after(async () => {
    await phone?.stop();
    await stack?.stop();
  });

  test("given two clicks and a callback ringing, when the app is killed and restarted, then each ends once: answered ones go on, the timed-out click is finished with a reason, re-deliveries ring nobody", async () => {
    phone = await client({ answerAfterMs: 500, talkMs: 2000 });
    const clickA = { USER_ID: String(userOf(117)), PHONE_NUMBER: NUMBER.answered };
    const clickB = { USER_ID: String(userOf(118)), PHONE_NUMBER: NUMBER.timedOut };
    const form = { PHONE_NUMBER: NUMBER.callback, LINE_NUMBER: LINE, TEXT: "", VOICE: "" };
    const idA = await fire(stack, "ONEXTERNALCALLSTART", clickA);
    const idB = await fire(stack, "ONEXTERNALCALLSTART", clickB);
    await fire(stack, "ONEXTERNALCALLBACKSTART", form);
    for (const ext of [117, 118, 119]) await stack.phone(ext).waitFor((s) => s.calls >= 1, 10_000);
    const rangAt = Date.now();
    await sleep(500);
    await stack.killApp();
    // 117 and 119 answer while nobody follows the calls; 118's ring times out in Asterisk meanwhile.
    await stack.phone(117).waitFor((s) => s.answered >= 1, 10_000);
    await stack.phone(119).waitFor((s) => s.answered >= 1, 10_000);
    await sleep(Math.max(0, rangAt + (CLICK_RING_SEC + 1.5) * 1000 - Date.now()));
    const deadMs = Date.now() - rangAt;
    await stack.startApp();

    const a = await waitForCrmCall(stack, (c) => c.CALL_ID === idA && !!c.finish, 45_000);
    expectFinished(a, { userId: userOf(117), status: "200", durationSec: 2 });
    const b = await waitForCrmCall(stack, (c) => c.CALL_ID === idB && !!c.finish, 45_000);
    const finishB = b.finish as Finish;
    assert.equal(finishB.USER_ID, userOf(118));
    assert.notEqual(finishB.STATUS_CODE, "200", "the click that nobody answered is not a talk");
    assert.match(finishB.FAILED_REASON ?? "", /phone 118: .*ended while the app was away/, "says why");
    const c = await waitForCrmCall(stack, { phone: NUMBER.callback }, 45_000);
    expectFinished(c, { type: 4, userId: userOf(119), status: "200", durationSec: 2 });

    // The same click and form once more (a replayed POST): the dedupe survived the restart.
    assert.equal(await postAgain(stack, "ONEXTERNALCALLSTART", { ...clickA, CALL_ID: idA }), 200);
    assert.equal(await postAgain(stack, "ONEXTERNALCALLBACKSTART", form), 200);
    await sleep(2000);
    assert.equal(stack.phone(117).stats().calls, 1, "117 rang once");
    assert.equal(stack.phone(118).stats().calls, 1, "118 rang once");
    assert.equal(stack.phone(119).stats().calls, 1, "119 rang once");
    assert.equal(phone.stats().calls, 2, "the client was dialled once per answered call");
    for (const n of Object.values(NUMBER)) assert.equal((await crmCallsMatching(stack, n)).length, 1, n);
    process.stdout.write(
      `# killed while ringing: dead ${(deadMs / 1000).toFixed(1)} s; B finished ${finishB.STATUS_CODE} (${finishB.FAILED_REASON})\n`,
    );
  });
});
