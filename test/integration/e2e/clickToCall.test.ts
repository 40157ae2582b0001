/**
 * Click-to-call end to end: the emulator fires ONEXTERNALCALLSTART the way the portal does
 * (form-encoded, bracketed keys, application_token) to the app's `/bitrix/events` (online) or into its
 * offline queue, which a worker polls with `event.offline.get`. The clicking user's sipp phone rings
 * first, then the client (a sipp UAS on the trunk); the portal's own CALL_ID must be finished and no
 * second call registered. The workers run as the emulator's OAuth app (event.* is app-only).
 * A customization's `beforeOriginate` runs for the client's trunk leg: it changes the caller id the
 * client's channel shows; a throwing one leaves the connector's own dial.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { encodeBrackets } from "../../../emulator/http/brackets.ts";
import { samePhone, type CrmCall } from "../../support/e2eCrm.ts";
import { startClient, type PhoneHandle, type UasBehaviour } from "../../support/sipp.ts";
import { startStack, waitForCrmCall, type Stack } from "../../support/stack.ts";
import { sleep, userOf } from "./expect.ts";
import { userDirectoryReady } from "../../support/userDirectory.ts";

const APP_TOKEN = "demo-application-token";
const HOOKED = { callerId: "+74951300005", throws: "+74951300006" };

/** The trunk leg of two numbers: a caller id made of the placing extension, or a throw. */
const TRUNK_HOOK = `
export default {
  description: "test: beforeOriginate on the client's trunk leg",
  hooks: {
    async beforeOriginate(ctx, next) {
      const own = await next();
      if (ctx.input.purpose !== "trunk") return own;
      if (ctx.input.number === "${HOOKED.callerId}") return { ...own, callerId: "777" + ctx.input.extension };
      if (ctx.input.number === "${HOOKED.throws}") throw new Error("beforeOriginate exploded");
      return own;
    },
  },
};
`;

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

interface Fired {
  CALL_ID: string;
  delivered: number;
  queued: number;
}

async function fireClick(stack: Stack, userId: number, phone: string, offline = false): Promise<Fired> {
  const res = await fetch(`${stack.emulator.url}/_emulator/events/fire`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      event: "ONEXTERNALCALLSTART",
      data: { USER_ID: String(userId), PHONE_NUMBER: phone },
      offline,
    }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as Fired;
}

/** A POST to the app's handler, as the portal would send it, with the given token (or none). */
async function postEvent(stack: Stack, data: Record<string, string>, token: string | undefined) {
  const auth: Record<string, string> = { domain: "demo.bitrix24.test", member_id: "m1" };
  if (token !== undefined) auth.application_token = token;
  const body = encodeBrackets({ event: "ONEXTERNALCALLSTART", data, ts: "1", auth });
  return fetch(`http://127.0.0.1:${stack.httpPort}/bitrix/events`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
  });
}

/** A call the portal registered for a click (as ONEXTERNALCALLSTART does), on a line of its own. */
async function registerPortalCall(stack: Stack, userId: number, phone: string): Promise<string> {
  const res = await fetch(`${stack.emulator.url}/rest/telephony.externalcall.register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: "demo-access-token",
      USER_ID: userId,
      PHONE_NUMBER: phone,
      TYPE: 1,
      LINE_NUMBER: "click-line-2",
    }),
  });
  const body = (await res.json()) as { result: { CALL_ID: string } };
  return body.result.CALL_ID;
}

async function finishedCall(stack: Stack, bxCallId: string, timeoutMs = 30_000): Promise<CrmCall> {
  return waitForCrmCall(stack, (c) => c.CALL_ID === bxCallId, timeoutMs);
}

type Finish = NonNullable<CrmCall["finish"]> & { FAILED_REASON?: string };

describe("e2e: click-to-call", () => {
  let stack: Stack;
  let phone: PhoneHandle | undefined;
  let folder = "";
  before(async () => {
    folder = mkdtempSync(join(tmpdir(), "itgrix-click-hooks-"));
    writeFileSync(join(folder, "trunkHook.mjs"), TRUNK_HOOK);
    stack = await startStack({
      auth: "oauth",
      cardMode: "ring",
      groups: {},
      dids: {},
      operators: { 117: { answerAfterMs: 300 } },
      config: {
        bitrix: { applicationToken: APP_TOKEN },
        events: { delivery: "both", offlinePollMs: 300, clickRingTimeoutSec: 6 },
        // 199 is the testbed's never-registered phone; #FROM# makes it user 21's inner number 120.
        numbers: { userRewrite: [{ pattern: "^199$", replacement: "120" }] },
        routing: { outboundRingTimeoutSec: 6, operators: ["117", "199"] },
        hooks: { folder, watch: false, typeCheck: false },
      },
    });
    // The portal posts online events to the handler the app bound (its public URL).
    const bind = await fetch(`${stack.emulator.url}/rest/event.bind`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        auth: "demo-access-token",
        event: "ONEXTERNALCALLSTART",
        handler: `http://127.0.0.1:${stack.httpPort}/bitrix/events`,
      }),
    });
    assert.equal(bind.status, 200, await bind.text());
    await userDirectoryReady(stack);
  });
  after(async () => {
    await phone?.stop();
    await stack?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  test("given 117 and the client answer, when user 18 clicks +7 495 130-00-01, then the portal's CALL_ID is finished for 18 with 200 and the talk time, nothing registered again", async () => {
    phone = await client({ answerAfterMs: 800, talkMs: 3000 });
    const before = stack.phone(117).stats().calls;
    const fired = await fireClick(stack, userOf(117), "+74951300001");
    assert.equal(fired.delivered, 1, "the portal delivered the event to the app");
    const call = await finishedCall(stack, fired.CALL_ID);
    const finish = call.finish as Finish;
    assert.equal(finish.USER_ID, userOf(117));
    assert.equal(finish.STATUS_CODE, "200");
    assert.ok(Math.abs(finish.DURATION - 3) <= 1, `DURATION ${finish.DURATION}`);
    assert.equal(stack.phone(117).stats().calls, before + 1, "the user's phone rang once");
    assert.equal(phone.stats().answered, 1, "the client answered");
    await sleep(1000);
    const same = (await stack.crmCalls()).filter((c) => samePhone(c.PHONE_NUMBER, "+74951300001"));
    assert.deepEqual(
      same.map((c) => c.CALL_ID),
      [fired.CALL_ID],
      "only the portal's own call: nothing registered a second time",
    );
    assert.ok(
      call.cardLog.some((e) => e.action === "show" && e.userId === userOf(117)),
      "card shown",
    );
    await phone.stop();
    phone = undefined;

    // The same event delivered again (a replayed POST with the right token): deduplicated by CALL_ID.
    const again = await postEvent(
      stack,
      { CALL_ID: fired.CALL_ID, USER_ID: String(userOf(117)), PHONE_NUMBER: "+74951300001" },
      APP_TOKEN,
    );
    assert.equal(again.status, 200);
    await sleep(1500);
    assert.equal(stack.phone(117).stats().calls, before + 1, "the duplicate rang nobody");
    const status = await stack.appStatus();
    assert.ok((status.crmEventsLastHour.duplicate ?? 0) >= 1, JSON.stringify(status.crmEventsLastHour));
  });

  test("given a forged or missing application_token, when the event is posted, then 401 and nothing rings", async () => {
    const before = stack.phone(117).stats().calls;
    const calls = (await stack.appCalls()).length;
    const data = {
      CALL_ID: "externalCall.forged.1",
      USER_ID: String(userOf(117)),
      PHONE_NUMBER: "+74951300009",
    };
    assert.equal((await postEvent(stack, data, "not-the-token")).status, 401);
    assert.equal((await postEvent(stack, data, undefined)).status, 401);
    await sleep(1500);
    assert.equal(stack.phone(117).stats().calls, before, "nothing rang");
    assert.equal((await stack.appCalls()).length, calls, "no call started");
  });

  test("given user 21's phone (199, inner number 120 by #FROM#) is not registered, when they click, then the reason is logged and counted and the CALL_ID is finished 480 with a FAILED_REASON", async () => {
    const fired = await fireClick(stack, 21, "+74951300002");
    const call = await finishedCall(stack, fired.CALL_ID);
    const finish = call.finish as Finish;
    assert.equal(finish.STATUS_CODE, "480");
    assert.equal(finish.USER_ID, 21);
    assert.match(finish.FAILED_REASON ?? "", /phone 199: not registered or unreachable/);
    const status = await stack.appStatus();
    assert.ok((status.calls.originateFailedLastHour.unregistered ?? 0) >= 1, JSON.stringify(status.calls));
  });

  test("given the user answers and the client is busy, then the CALL_ID is finished 486 with the client's reason", async () => {
    phone = await client("busy");
    const fired = await fireClick(stack, userOf(117), "+74951300003");
    const call = await finishedCall(stack, fired.CALL_ID);
    const finish = call.finish as Finish;
    assert.equal(finish.STATUS_CODE, "486");
    assert.equal(finish.USER_ID, userOf(117));
    assert.equal(finish.DURATION, 0);
    assert.match(finish.FAILED_REASON ?? "", /busy \(cause 17/);
    await phone.stop();
    phone = undefined;
  });

  test("given the event only in the portal's offline queue, when a worker polls event.offline.get, then the user's phone rings and the CALL_ID is finished; a click on the same number within 5 s is ignored", async () => {
    phone = await client({ answerAfterMs: 500, talkMs: 2000 });
    const before = stack.phone(117).stats().calls;
    const fired = await fireClick(stack, userOf(117), "+74951300004", true);
    assert.equal(fired.queued, 1);
    assert.equal(fired.delivered, 0, "not posted: only the offline queue has it");
    // A second click at once: the portal may hand out the same CALL_ID (its 30-minute rule) — a
    // duplicate — or a new one (here: registered on another line) — the 5 s repeat guard.
    const repeat = await fireClick(stack, userOf(117), "+74951300004", true);
    assert.equal(repeat.CALL_ID, fired.CALL_ID, "the emulator's 30-minute rule: the same CALL_ID");
    await stack.phone(117).waitFor((s) => s.calls === before + 1, 10_000); // the offline click rings
    const other = await registerPortalCall(stack, userOf(117), "+74951300004");
    const posted = await postEvent(
      stack,
      { CALL_ID: other, USER_ID: String(userOf(117)), PHONE_NUMBER: "+74951300004" },
      APP_TOKEN,
    );
    assert.equal(posted.status, 200);
    const call = await finishedCall(stack, fired.CALL_ID);
    assert.equal(call.finish!.STATUS_CODE, "200");
    const ignored = await finishedCall(stack, other);
    assert.equal(ignored.finish!.STATUS_CODE, "603-S", "the repeated click's own portal call is closed");
    assert.equal(stack.phone(117).stats().calls, before + 1, "one ring for three clicks");
    await phone.stop();
    phone = undefined;
  });

  test("given a beforeOriginate customization, when user 18 clicks, then the client's trunk leg carries the caller id it chose; a throwing one leaves the connector's dial", async () => {
    phone = await client({ answerAfterMs: 500, talkMs: 2500 });
    const fired = await fireClick(stack, userOf(117), HOOKED.callerId);
    await phone.waitFor((s) => s.answered === 1, 20_000);
    const channels = await stack.control.ctx.rest.listChannels();
    const callers = channels.map((c) => c.caller.number);
    assert.ok(
      callers.includes("777117"),
      `the hook's caller id on a live channel: ${JSON.stringify(callers)}`,
    );
    const call = await finishedCall(stack, fired.CALL_ID);
    assert.equal(call.finish!.STATUS_CODE, "200");

    const errorsBefore = (await stack.appStatus()).hooks.lastHour["errors.beforeOriginate"] ?? 0;
    const thrown = await fireClick(stack, userOf(117), HOOKED.throws);
    await phone.waitFor((s) => s.answered === 2, 20_000);
    const after = await finishedCall(stack, thrown.CALL_ID);
    assert.equal(after.finish!.STATUS_CODE, "200", "the client was dialled with the connector's own values");
    const errors = (await stack.appStatus()).hooks.lastHour["errors.beforeOriginate"] ?? 0;
    assert.equal(errors, errorsBefore + 1, "the throw is counted");
    await phone.stop();
    phone = undefined;
  });
});
