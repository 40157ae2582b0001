/**
 * IVR and transfers end to end (card mode ring): the extension chosen in the IVR answers or misses
 * (then the DID's group gets the call); blind transfers by the operator's phone (SIP REFER) to another
 * operator and to Support (not a CRM user).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { cardEventAt, cardViewers, describeCardLog } from "../../support/e2eCrm.ts";
import { startStack, waitForCrmCall, type Stack } from "../../support/stack.ts";
import { cardLogOf, clientCalls, expectFinished, userOf } from "./expect.ts";

const DID = { ivr: "4951140001", blind: "4951140002", support: "4951140003" };

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
      },
      dids: {
        [DID.ivr]: {
          group: "ivrGroup",
          ivr: { digitTimeoutSec: 3, maxDigits: 3, extensionRingTimeoutSec: 3 },
        },
        [DID.blind]: { group: "blind" },
        [DID.support]: { group: "toSupport" },
      },
      config: { routing: { operators: ["113", "114", "115", "116", "117", "301", "302", "303"] } },
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
    const log = cardLogOf(call);
    assert.deepEqual(
      [...log].sort(),
      [`hide ${u113}`, `hide ${u114}`, `show ${u113}`, `show ${u114}`],
      `${log}`,
    );
    assert.equal(log[0], `show ${u113}`, `113 first: ${log}`);
    assert.equal(log.at(-1), `hide ${u114}`, `114 keeps the card to the end: ${log}`);
    // The app dials the group as it hangs up 113, so 113's hide may come a moment after 114's show.
    const overlap = cardEventAt(call, u113, "hide")! - cardEventAt(call, u114, "show")!;
    assert.ok(overlap < 1000, `113's card hidden ${overlap} ms after 114's was shown`);
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
});
