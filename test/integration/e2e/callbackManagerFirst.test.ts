/**
 * The CRM's callback form and manager-first routing, end to end on the real Asterisk, sipp phones,
 * the emulator and a worker:
 * - ONEXTERNALCALLBACKSTART fired by the emulator (form-encoded, bracketed keys, application_token)
 *   to the app's /bitrix/events: the line's group rings, the operator who answers gets the client
 *   (a sipp UAS behind the trunk); TYPE 4 registered once, finished for that operator; a busy client
 *   and a trunk leg Asterisk refuses (a customization's `beforeOriginate` sends it to an endpoint
 *   Asterisk does not know) finish it with the decoded STATUS_CODE and FAILED_REASON, counted in /status;
 * - manager-first on a DID: the caller's CRM manager rings first (a lookup hit), a miss and a slow
 *   portal ring the group, and so do stopped workers — measured: how long the caller waited.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { CallState } from "../../../core/calls/types.ts";
import { samePhone } from "../../support/e2eCrm.ts";
import { startClient, type PhoneHandle, type UasBehaviour } from "../../support/sipp.ts";
import {
  crmCallsMatching,
  startStack,
  waitForCrmCall,
  type CrmCall,
  type Stack,
} from "../../support/stack.ts";
import { clientCalls, expectFinished, sleep, userOf } from "./expect.ts";

const CALLBACK_LINE = "4951110050";
const MANAGER_DID = "4951110051";
const LOOKUP_TIMEOUT_MS = 800;
const REFUSED_CLIENT = "+74951200014";

/** The callback's trunk leg to one number goes to an endpoint Asterisk does not know. */
const TRUNK_HOOK = `
export default {
  description: "test: a trunk leg Asterisk refuses",
  hooks: {
    async beforeOriginate(ctx, next) {
      const own = await next();
      const refused = ctx.input.purpose === "trunk" && ctx.input.number === "${REFUSED_CLIENT}";
      return refused ? { ...own, endpoint: "PJSIP/itgrix-no-such-endpoint" } : own;
    },
  },
};
`;

/** The client UAS has one fixed port that other suites use too: retry a bind failure for a while. */
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

async function emulatorPost(stack: Stack, path: string, body: unknown, method = "POST"): Promise<unknown> {
  const res = await fetch(`${stack.emulator.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: method === "DELETE" ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as unknown;
  assert.equal(res.status, 200, `${path}: ${JSON.stringify(json)}`);
  return json;
}

/** The portal's form: the emulator posts it to every handler bound to the event. */
async function fireCallback(stack: Stack, phone: string): Promise<void> {
  const data = { PHONE_NUMBER: phone, LINE_NUMBER: CALLBACK_LINE, TEXT: "Please call back", VOICE: "" };
  const fired = (await emulatorPost(stack, "/_emulator/events/fire", {
    event: "ONEXTERNALCALLBACKSTART",
    data,
  })) as { delivered: number };
  assert.equal(fired.delivered, 1, "the app's handler took the event (HTTP 200)");
}

function failedReasonOf(call: CrmCall): string {
  return (call.finish as { FAILED_REASON?: string } | null)?.FAILED_REASON ?? "";
}

async function appCallOf(stack: Stack, match: (s: CallState) => boolean): Promise<CallState> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = (await stack.appCalls()).filter(match);
    const ended = found.find((s) => s.phase === "ended");
    if (ended) return ended;
    if (Date.now() > deadline) throw new Error(`no ended app call; found ${JSON.stringify(found)}`);
    await sleep(200);
  }
}

/** How long the caller waited between entering the app and the first phone being dialled. */
function waitBeforeFirstDial(state: CallState): number {
  const first = [...state.legs].sort((a, b) => Date.parse(a.dialledAt) - Date.parse(b.dialledAt))[0];
  assert.ok(first, `a leg was dialled: ${JSON.stringify(state)}`);
  return Date.parse(first.dialledAt) - Date.parse(state.startedAt);
}

describe("e2e: the callback form and manager-first routing", () => {
  let stack: Stack;
  let phone: PhoneHandle | undefined;
  let folder = "";
  before(async () => {
    folder = mkdtempSync(join(tmpdir(), "itgrix-callback-hooks-"));
    writeFileSync(join(folder, "trunkHook.mjs"), TRUNK_HOOK);
    stack = await startStack({
      cardMode: "ring",
      groups: {
        cb: { strategy: "ringall", members: [111, 112], groupTimeoutSec: 5 },
        sales: { strategy: "ringall", members: [113], groupTimeoutSec: 8 },
      },
      dids: {
        [CALLBACK_LINE]: { group: "cb" },
        [MANAGER_DID]: { group: "sales", managerFirst: { ringSec: 4 } },
      },
      operators: {
        101: { answerAfterMs: 300 },
        102: { answerAfterMs: 300 },
        103: { answerAfterMs: 300 },
        113: { answerAfterMs: 300 },
      },
      config: {
        bitrix: { applicationToken: "demo-application-token" },
        routing: { managerLookup: { timeoutMs: LOOKUP_TIMEOUT_MS }, callback: { clientRingTimeoutSec: 5 } },
        hooks: { folder, watch: false, typeCheck: false },
      },
    });
    // What the app's installer does with OAuth: bind the callback event to the app's handler.
    await emulatorPost(stack, "/rest/event.bind", {
      auth: "demo-access-token",
      event: "ONEXTERNALCALLBACKSTART",
      handler: `http://127.0.0.1:${stack.httpPort}/bitrix/events`,
    });
  });
  after(async () => {
    await phone?.stop();
    await stack?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  test("given 111 answers and the client talks 3 s, when the form is sent twice, then one TYPE 4 call, finished for 111, 200, 3 s", async () => {
    await stack.operator(111, { answerAfterMs: 500 });
    await stack.operator(112, "noAnswer");
    phone = await client({ answerAfterMs: 1000, talkMs: 3000 });
    await fireCallback(stack, "+74951200011");
    await fireCallback(stack, "+74951200011"); // the same event again: ignored
    const call = await waitForCrmCall(stack, { phone: "+74951200011" });
    expectFinished(call, { type: 4, userId: userOf(111), status: "200", durationSec: 3 });
    assert.equal(call.LINE_NUMBER, CALLBACK_LINE);
    await sleep(1000);
    assert.equal((await crmCallsMatching(stack, "+74951200011")).length, 1, "registered once");
    const states = (await stack.appCalls()).filter((s) => samePhone(s.clientNumber, "+74951200011"));
    assert.equal(states.length, 1, "one callback placed");
    assert.equal(states[0]!.direction, "callback");
    await phone.stop();
  });

  test("given 111 answers and the client is busy, then TYPE 4, 486 with the client's reason, finished for 111, counted", async () => {
    await stack.operator(111, { answerAfterMs: 300 });
    phone = await client("busy");
    const busyBefore = (await stack.appStatus()).calls.originateFailedLastHour.busy ?? 0;
    await fireCallback(stack, "+74951200013");
    const call = await waitForCrmCall(stack, { phone: "+74951200013" });
    expectFinished(call, { type: 4, userId: userOf(111), status: "486", durationSec: 0, toleranceSec: 0 });
    assert.match(failedReasonOf(call), /^client \+74951200013: busy \(cause 17/);
    const busy = (await stack.appStatus()).calls.originateFailedLastHour.busy ?? 0;
    assert.equal(busy, busyBefore + 1, "the client's busy counted in /status");
    await phone.stop();
  });

  test("given 111 answers and Asterisk refuses the client's trunk leg, then TYPE 4, 503 with the decoded reason, finished for 111, counted", async () => {
    await stack.operator(111, { answerAfterMs: 300 });
    const before = (await stack.appStatus()).calls.originateFailedLastHour.trunkFailure ?? 0;
    await fireCallback(stack, REFUSED_CLIENT); // ARI: 500 "Allocation failed" for the unknown endpoint
    const call = await waitForCrmCall(stack, { phone: REFUSED_CLIENT });
    expectFinished(call, { type: 4, userId: userOf(111), status: "503", durationSec: 0, toleranceSec: 0 });
    assert.match(failedReasonOf(call), /^client \+74951200014: trunk failure \(ARI 500\)$/);
    const after = (await stack.appStatus()).calls.originateFailedLastHour.trunkFailure ?? 0;
    assert.equal(after, before + 1, "the refusal counted in /status");
  });

  test("given nobody answers for the group's 5 s, then TYPE 4 finished as missed (304), the client never dialled", async () => {
    await stack.operator(111, "noAnswer");
    await stack.operator(112, "noAnswer");
    await fireCallback(stack, "+74951200012");
    const call = await waitForCrmCall(stack, { phone: "+74951200012" });
    assert.equal(call.TYPE, 4);
    assert.equal(call.finish?.STATUS_CODE, "304");
    assert.equal(call.finish?.DURATION, 0);
    assert.ok([userOf(111), userOf(112)].includes(call.finish!.USER_ID), JSON.stringify(call.finish));
    const state = await appCallOf(stack, (s) => samePhone(s.clientNumber, "+74951200012"));
    assert.equal(state.answeredAt, undefined, "the client was never dialled");
    assert.ok(state.legs.every((l) => l.answeredAt === undefined));
  });

  test("given the caller's CRM manager is 101, when the caller rings the manager-first DID, then 101 rings first and answers", async () => {
    await clientCalls({ from: "74951000001", to: MANAGER_DID, talkMs: 2000, expectAnswer: true });
    const call = await waitForCrmCall(stack, { phone: "74951000001" });
    expectFinished(call, { type: 2, userId: userOf(101), status: "200", durationSec: 2 });
    const state = await appCallOf(stack, (s) => samePhone(s.clientNumber, "74951000001"));
    assert.deepEqual(
      state.legs.map((l) => l.extension),
      ["101"],
      "only the manager rang",
    );
    process.stdout.write(
      `manager-first hit: caller waited ${waitBeforeFirstDial(state)} ms before 101 rang\n`,
    );
  });

  test("given a caller unknown to the CRM, then the group rings", async () => {
    await clientCalls({ from: "74959999001", to: MANAGER_DID, talkMs: 1000, expectAnswer: true });
    const call = await waitForCrmCall(stack, { phone: "74959999001" });
    expectFinished(call, { type: 2, userId: userOf(113), status: "200", durationSec: 1 });
    const state = await appCallOf(stack, (s) => samePhone(s.clientNumber, "74959999001"));
    assert.deepEqual(
      state.legs.map((l) => l.extension),
      ["113"],
    );
    process.stdout.write(
      `manager-first miss: caller waited ${waitBeforeFirstDial(state)} ms before the group rang\n`,
    );
  });

  test("given the portal answers 2.5 s late, then the group rings after the lookup's limit, not the manager (102)", async () => {
    await emulatorPost(stack, "/_emulator/faults", { latencyMs: 2500 });
    try {
      await clientCalls({ from: "74951000002", to: MANAGER_DID, talkMs: 1000, expectAnswer: true });
      const state = await appCallOf(stack, (s) => samePhone(s.clientNumber, "74951000002"));
      assert.equal(state.legs[0]?.extension, "113", JSON.stringify(state.legs));
      const waited = waitBeforeFirstDial(state);
      process.stdout.write(
        `manager-first, slow portal: caller waited ${waited} ms (limit ${LOOKUP_TIMEOUT_MS})\n`,
      );
      assert.ok(waited >= LOOKUP_TIMEOUT_MS - 50, `the lookup was waited for (${waited} ms)`);
      assert.ok(waited < LOOKUP_TIMEOUT_MS + 1200, `the caller did not wait for the portal (${waited} ms)`);
    } finally {
      await emulatorPost(stack, "/_emulator/faults", undefined, "DELETE");
    }
    const call = await waitForCrmCall(stack, { phone: "74951000002" });
    expectFinished(call, { type: 2, userId: userOf(113), status: "200", durationSec: 1 });
  });

  test("given the workers are stopped, then the lookup times out and the group rings; the call reaches the CRM when a worker is back", async () => {
    await stack.stopWorker();
    try {
      await clientCalls({ from: "74951000003", to: MANAGER_DID, talkMs: 1000, expectAnswer: true });
      const state = await appCallOf(stack, (s) => samePhone(s.clientNumber, "74951000003"));
      assert.equal(state.legs[0]?.extension, "113", JSON.stringify(state.legs));
      const waited = waitBeforeFirstDial(state);
      process.stdout.write(
        `manager-first, workers stopped: caller waited ${waited} ms (limit ${LOOKUP_TIMEOUT_MS})\n`,
      );
      assert.ok(waited < LOOKUP_TIMEOUT_MS + 1200, `the caller did not wait for the workers (${waited} ms)`);
    } finally {
      await stack.startWorker();
    }
    const call = await waitForCrmCall(stack, { phone: "74951000003" });
    expectFinished(call, { type: 2, userId: userOf(113), status: "200", durationSec: 1 });
  });
});
