/**
 * Observe mode end to end: calls routed by the PBX's own dialplan (dialplan/extensions_itgrix_observe.conf,
 * `Dial(PJSIP/107,15)` and a linear `Queue()` of 105 then 106; the testbed sends DIDs 49522200XX there),
 * never by the Stasis app, followed over ARI and put into the emulator's CRM: registered, the card shown
 * to the ringing operator(s), finished with the right user, status and talk time. A Stasis-routed call
 * in the same stack is unaffected; the app restarted in the middle of an observed call goes on with it.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { crmCallsMatching, startStack, waitForCrmCall, type Stack } from "../../support/stack.ts";
import { cardLogOf, clientCalls, expectFinished, sleep, userOf } from "./expect.ts";

const DID = { dial: "4952220001", queue: "4952220002", stasis: "4951119001" };

describe("e2e: observe mode (calls routed by the dialplan)", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      cardMode: "ring",
      groups: { solo: { strategy: "ringall", members: [108], groupTimeoutSec: 10 } },
      dids: { [DID.stasis]: { group: "solo" } },
      operators: { 105: "noAnswer", 106: "noAnswer", 107: { answerAfterMs: 1000 } },
      config: { observe: { contexts: ["itgrix-observe-example"] } },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  test("given Dial() to 107 that answers after 1 s, and at the same time a Queue() call nobody answers, then the first is 107's (200, 3 s), the second a missed call (304) for 106, rung last; cards shown while ringing", async () => {
    const t0 = Date.now();
    await Promise.all([
      clientCalls({ from: "74952000011", to: DID.dial, talkMs: 3000, expectAnswer: true }),
      clientCalls({ from: "74952000012", to: DID.queue, hangupBeforeAnswerMs: 20_000 }),
    ]);
    const dialled = await waitForCrmCall(stack, { phone: "74952000011" });
    expectFinished(dialled, { type: 2, userId: userOf(107), status: "200", durationSec: 3 });
    assert.equal(dialled.LINE_NUMBER, DID.dial);
    assert.deepEqual(cardLogOf(dialled), [`show ${userOf(107)}`, `hide ${userOf(107)}`]);
    const shownAt = dialled.cardLog[0]!.at - t0;
    assert.ok(shownAt < 1500, `107's card shown ${shownAt} ms after the call started, i.e. while ringing`);
    assert.equal((await crmCallsMatching(stack, "74952000011")).length, 1, "registered once");

    const missed = await waitForCrmCall(stack, { phone: "74952000012" });
    expectFinished(missed, { type: 2, userId: userOf(106), status: "304", durationSec: 0, toleranceSec: 0 });
    const [u105, u106] = [userOf(105), userOf(106)];
    assert.deepEqual(cardLogOf(missed).slice(0, 4), [
      `show ${u105}`,
      `hide ${u105}`,
      `show ${u106}`,
      `hide ${u106}`,
    ]);
    assert.equal((await crmCallsMatching(stack, "74952000012")).length, 1, "registered once");
  });

  test("given the queue where 105 does not answer and 106 answers after 0.5 s, then the card moves from 105 to 106 and the call is 106's: 200, 2 s", async () => {
    await stack.operator(106, { answerAfterMs: 500 });
    await clientCalls({ from: "74952000013", to: DID.queue, talkMs: 2000, expectAnswer: true });
    const call = await waitForCrmCall(stack, { phone: "74952000013" });
    expectFinished(call, { type: 2, userId: userOf(106), status: "200", durationSec: 2 });
    const [u105, u106] = [userOf(105), userOf(106)];
    assert.deepEqual(cardLogOf(call), [`show ${u105}`, `hide ${u105}`, `show ${u106}`, `hide ${u106}`]);
  });

  test("given observe mode on, when a client calls a Stasis DID, then the app routes it as before and it is in the CRM once", async () => {
    await stack.operator(108, { answerAfterMs: 500 });
    await clientCalls({ from: "74952000014", to: DID.stasis, talkMs: 1500, expectAnswer: true });
    const call = await waitForCrmCall(stack, { phone: "74952000014" });
    expectFinished(call, { type: 2, userId: userOf(108), status: "200", durationSec: 1.5, toleranceSec: 1 });
    assert.equal((await crmCallsMatching(stack, "74952000014")).length, 1, "registered once");
  });

  test("given 107 talks in an observed call, when the app is restarted in the middle, then the new app goes on with the call and finishes it with 107's user, 200 and the whole talk time", async () => {
    await stack.operator(107, { answerAfterMs: 500 });
    const call = clientCalls({ from: "74952000015", to: DID.dial, talkMs: 6000, expectAnswer: true });
    await stack.phone(107).waitFor((s) => s.answered === 1, 10_000);
    await sleep(1000);
    await stack.stopApp();
    await sleep(1000);
    await stack.startApp();
    await call;
    const crm = await waitForCrmCall(stack, { phone: "74952000015" });
    expectFinished(crm, { type: 2, userId: userOf(107), status: "200", durationSec: 6 });
    assert.equal((await crmCallsMatching(stack, "74952000015")).length, 1, "registered once");
  });

  test("given 107 talks in an observed call, when the call ends while the app is away, then the restarted app finishes it: 107's user, 200, talk time up to when the app lost Asterisk", async () => {
    await stack.operator(107, { answerAfterMs: 500 });
    const call = clientCalls({ from: "74952000016", to: DID.dial, talkMs: 3000, expectAnswer: true });
    await stack.phone(107).waitFor((s) => s.answered === 1, 10_000);
    await sleep(1500);
    await stack.stopApp();
    await call;
    await stack.startApp();
    const crm = await waitForCrmCall(stack, { phone: "74952000016" });
    expectFinished(crm, { type: 2, userId: userOf(107), status: "200", durationSec: 1.5, toleranceSec: 1 });
  });
});
