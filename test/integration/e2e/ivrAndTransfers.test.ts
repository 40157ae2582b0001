/**
 * IVR and transfers end to end (card mode ring): the extension chosen in the IVR answers or misses
 * (then the DID's group gets the call); blind transfers by the operator's phone (SIP REFER) to another
 * operator and to Support (not a CRM user); an attended transfer by a real soft-phone (linphonec).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { cardViewers, describeCardLog } from "../../support/e2eCrm.ts";
import type { CallState } from "../../../core/calls/types.ts";
import { hasLinphone, startLinphone, type SoftPhone } from "../../support/linphone.ts";
import { startStack, waitForCrmCall, type Stack } from "../../support/stack.ts";
import { cardLogOf, clientCalls, expectFinished, sleep, userOf } from "./expect.ts";

const DID = { ivr: "4951140001", blind: "4951140002", support: "4951140003", attended: "4951140004" };

/** Index of `entry` in the log, failing when it is missing. */
function at(log: string[], entry: string): number {
  const i = log.indexOf(entry);
  assert.ok(i >= 0, `${entry} missing from ${log}`);
  return i;
}

describe("e2e: IVR and transfers", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      cardMode: "ring",
      groups: {
        ivrGroup: { strategy: "ringall", members: [114], groupTimeoutSec: 10 },
        blind: { strategy: "ringall", members: [115], groupTimeoutSec: 10 },
        toSupport: { strategy: "ringall", members: [117], groupTimeoutSec: 10 },
        attended: { strategy: "ringall", members: [118], groupTimeoutSec: 10 },
      },
      dids: {
        [DID.ivr]: {
          group: "ivrGroup",
          ivr: { digitTimeoutSec: 3, maxDigits: 3, extensionRingTimeoutSec: 3 },
        },
        [DID.blind]: { group: "blind" },
        [DID.support]: { group: "toSupport" },
        [DID.attended]: { group: "attended" },
      },
      config: {
        routing: { operators: ["113", "114", "115", "116", "117", "118", "301", "302", "303"] },
      },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  test("given the IVR, when the client dials 113 and 113 answers, then the call is 113's user's, 200, with the card shown to 113 only", async () => {
    await stack.operator(113, { answerAfterMs: 1000 });
    const group = await stack.operator(114, { answerAfterMs: 500 });
    await clientCalls({ from: "74951400001", to: DID.ivr, dtmf: "113", talkMs: 4000, expectAnswer: true });
    const call = await waitForCrmCall(stack, { phone: "74951400001" });
    expectFinished(call, { type: 2, userId: userOf(113), status: "200", durationSec: 3, toleranceSec: 1.5 });
    assert.deepEqual(cardLogOf(call), [`show ${userOf(113)}`, `hide ${userOf(113)}`]);
    assert.equal(group.stats().calls, 0, "the DID's group was not rung");
  });

  test("given the IVR, when the client dials 113 and 113 misses, then the DID's group (114) gets the call: 114's user, cards 113 then 114", async () => {
    const chosen = await stack.operator(113, "noAnswer");
    await stack.operator(114, { answerAfterMs: 500 });
    await clientCalls({ from: "74951400002", to: DID.ivr, dtmf: "113", talkMs: 7000, expectAnswer: true });
    const call = await waitForCrmCall(stack, { phone: "74951400002" });
    // The client talked 7 s after dialling: ~3 s ringing 113, ~0.5 s ringing 114, then ~3.5 s with 114.
    expectFinished(call, {
      type: 2,
      userId: userOf(114),
      status: "200",
      durationSec: 3.5,
      toleranceSec: 1.5,
    });
    const [u113, u114] = [userOf(113), userOf(114)];
    // 113 missed it before the group was rung: its card is hidden before 114's is shown.
    assert.deepEqual(cardLogOf(call), [`show ${u113}`, `hide ${u113}`, `show ${u114}`, `hide ${u114}`]);
    assert.equal(chosen.stats().cancelled, 1, "113 rang and was cancelled");
  });

  test("given 115 answers and blind-transfers to 116 after 2 s, when 116 answers, then the call is 116's user's, both talk times count, and both saw the card", async () => {
    await stack.operator(115, { blindTransfer: { answerAfterMs: 500, afterMs: 2000, to: "116" } });
    const target = await stack.operator(116, { answerAfterMs: 1000 });
    await clientCalls({ from: "74951400003", to: DID.blind, talkMs: 7000, expectAnswer: true });
    await target.waitFor((s) => s.answered === 1, 1000);
    const call = await waitForCrmCall(stack, { phone: "74951400003" });
    // 2 s with 115, ~1 s while 116 rings, ~4 s with 116.
    expectFinished(call, { type: 2, userId: userOf(116), status: "200", durationSec: 6, toleranceSec: 1.5 });
    const [u115, u116] = [userOf(115), userOf(116)];
    const log = cardLogOf(call);
    assert.deepEqual(cardViewers(call), [u115, u116], describeCardLog(call));
    assert.ok(
      at(log, `show ${u115}`) < at(log, `show ${u116}`),
      `the target is offered after the transfer: ${log}`,
    );
    assert.ok(
      at(log, `hide ${u115}`) < at(log, `hide ${u116}`),
      `the transferring operator's card goes first: ${log}`,
    );
    assert.equal(log.at(-1), `hide ${u116}`, `116's card stays until the end: ${log}`);
    assert.equal(stack.phone(115).stats().transfersAccepted, 1);
  });

  test("given 117 answers and blind-transfers to Support 301, when 301 answers, then the call stays 117's user's (Support is no CRM user), 200, both talk times", async () => {
    await stack.operator(117, { blindTransfer: { answerAfterMs: 500, afterMs: 2000, to: "301" } });
    const support = await stack.operator(301, { answerAfterMs: 1000 });
    await clientCalls({ from: "74951400004", to: DID.support, talkMs: 7000, expectAnswer: true });
    await support.waitFor((s) => s.answered === 1, 1000);
    const call = await waitForCrmCall(stack, { phone: "74951400004" });
    expectFinished(call, { type: 2, userId: userOf(117), status: "200", durationSec: 6, toleranceSec: 1.5 });
    assert.deepEqual(cardViewers(call), [userOf(117)], describeCardLog(call));
    assert.deepEqual(cardLogOf(call), [`show ${userOf(117)}`, `hide ${userOf(117)}`]);
  });

  test("given 118 (a soft-phone) answers, consults 116 and transfers the client to 116, when the client hangs up, then the call is 116's user's, both talk times count, and both saw the card", async () => {
    assert.ok(hasLinphone, "linphonec is not installed (run scripts/install-deps.sh)");
    const target = await stack.operator(116, { answerAfterMs: 500 });
    let phone: SoftPhone | undefined;
    try {
      phone = await startLinphone(118);
      const crmBefore = (await stack.crmCalls()).length;
      const talk = clientCalls({ from: "74951400005", to: DID.attended, talkMs: 12_000, expectAnswer: true });
      await waitForApp(stack, (c) => c.clientNumber.endsWith("4951400005") && c.phase === "talking");
      await sleep(1500);
      phone.send("pause 1");
      await sleep(1000);
      phone.send(`call sip:116@${stack.testbed.sip.host}:${stack.testbed.sip.port}`);
      await waitForApp(stack, (c) => c.originExtension === "118" && c.phase === "talking");
      await sleep(1500);
      phone.send("transfer 1 --to-call 2");
      const result = await talk;
      assert.equal(result.hungUpBy, "caller", "the client talked to the end (with 116)");
      const call = await waitForCrmCall(stack, { phone: "74951400005" });
      // The client is answered at once and hangs up 12 s later: ~5 s with 118 (hold included), ~7 s with 116.
      expectFinished(call, {
        type: 2,
        userId: userOf(116),
        status: "200",
        durationSec: 12,
        toleranceSec: 1.5,
      });
      const [u118, u116] = [userOf(118), userOf(116)];
      const log = cardLogOf(call);
      assert.deepEqual(cardViewers(call), [u118, u116], describeCardLog(call));
      assert.ok(
        at(log, `show ${u118}`) < at(log, `show ${u116}`),
        `the target is offered after the transfer: ${log}`,
      );
      assert.ok(
        at(log, `hide ${u118}`) < at(log, `hide ${u116}`),
        `the transferring operator's card goes first: ${log}`,
      );
      assert.equal(log.at(-1), `hide ${u116}`, `116's card stays until the end: ${log}`);
      await target.waitFor((s) => s.remoteHangups === 1, 5000);
      assert.equal(
        (await stack.crmCalls()).length,
        crmBefore + 1,
        "the consultation call (internal) is not registered",
      );
    } catch (err) {
      if (phone) process.stderr.write(`linphonec output:\n${phone.output().slice(-3000)}\n`);
      throw err;
    } finally {
      await phone?.stop();
    }
  });
});

/** Waits until the app holds a call state matching `predicate`. */
async function waitForApp(
  stack: Stack,
  predicate: (c: CallState) => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await stack.appCalls()).some(predicate)) {
    if (Date.now() > deadline) throw new Error(`no such call in the app after ${timeoutMs} ms`);
    await sleep(100);
  }
}
