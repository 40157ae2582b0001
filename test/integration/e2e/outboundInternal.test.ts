/**
 * Calls placed by operators end to end (card mode ring): outbound through the trunk (the client is a
 * sipp UAS on the trunk's port) answered / busy / no answer, and an internal call that is not
 * registered in the CRM.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { samePhone } from "../../support/e2eCrm.ts";
import { startClient, placeOperatorCall, type PhoneHandle, type UasBehaviour } from "../../support/sipp.ts";
import { startStack, waitForCrmCall, waitForWorkerIdle, type Stack } from "../../support/stack.ts";
import { cardLogOf, expectFinished, sleep, userOf } from "./expect.ts";

/**
 * The client UAS has one fixed port (15080) that other suites on a shared testbed use too: retry a
 * bind failure for a while instead of failing the scenario.
 */
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

describe("e2e: outbound and internal calls", () => {
  let stack: Stack;
  let phone: PhoneHandle | undefined;
  before(async () => {
    stack = await startStack({
      cardMode: "ring",
      groups: { ops: { strategy: "ringall", members: [117, 118] } },
      dids: {},
      config: { routing: { outboundRingTimeoutSec: 4 } },
    });
  });
  after(async () => {
    await phone?.stop();
    await stack?.stop();
  });

  test("given the client answers after 1 s, when 117 calls 8 495 120-00-01 and talks 3 s, then an outbound call (TYPE 1) for 117's user, 200, 3 s", async () => {
    phone = await client({ answerAfterMs: 1000 });
    await placeOperatorCall({ fromExtension: 117, to: "84951200001", talkMs: 3000, expectAnswer: true });
    const call = await waitForCrmCall(stack, { phone: "+74951200001" });
    expectFinished(call, { type: 1, userId: userOf(117), status: "200", durationSec: 3 });
    assert.ok(samePhone(call.PHONE_NUMBER, "+74951200001"), call.PHONE_NUMBER);
    assert.deepEqual(cardLogOf(call), [`show ${userOf(117)}`, `hide ${userOf(117)}`]);
    await phone.stop();
  });

  test("given the client is busy, when 117 calls, then 486 for 117's user, 0 s", async () => {
    phone = await client("busy");
    const result = await placeOperatorCall({
      fromExtension: 117,
      to: "84951200002",
      hangupBeforeAnswerMs: 15_000,
    });
    assert.equal(result.answered, false);
    const call = await waitForCrmCall(stack, { phone: "+74951200002" });
    expectFinished(call, { type: 1, userId: userOf(117), status: "486", durationSec: 0, toleranceSec: 0 });
    await phone.stop();
  });

  test("given the client does not answer, when the 4 s outbound ring timeout passes, then 304 for 117's user, 0 s", async () => {
    phone = await client("noAnswer");
    const result = await placeOperatorCall({
      fromExtension: 117,
      to: "84951200003",
      hangupBeforeAnswerMs: 15_000,
    });
    assert.equal(result.answered, false);
    const call = await waitForCrmCall(stack, { phone: "+74951200003" });
    expectFinished(call, { type: 1, userId: userOf(117), status: "304", durationSec: 0, toleranceSec: 0 });
    await phone.stop();
  });

  test("given 118 answers, when 117 dials 118 and they talk 2 s, then the call is not registered in the CRM (skipped)", async () => {
    const callee = await stack.operator(118, { answerAfterMs: 500 });
    const before = (await stack.crmCalls()).length;
    await placeOperatorCall({ fromExtension: 117, to: "118", talkMs: 2000, expectAnswer: true });
    assert.equal(callee.stats().answered, 1);
    const deadline = Date.now() + 15_000;
    let internal = (await stack.appCalls()).find((c) => c.direction === "internal");
    while (internal?.phase !== "ended" && Date.now() < deadline) {
      await sleep(200);
      internal = (await stack.appCalls()).find((c) => c.direction === "internal");
    }
    assert.equal(internal?.phase, "ended", `the app ended the internal call: ${JSON.stringify(internal)}`);
    await waitForWorkerIdle(stack);
    const journal = await stack.redis.get(stack.keys.journal(internal.callId));
    assert.match(journal ?? "", /"skipped"/, `the worker skipped it: ${journal}`);
    const calls = await stack.crmCalls();
    assert.equal(calls.length, before, "nothing new in the CRM");
    assert.equal(calls.filter((c) => c.EXTERNAL_CALL_ID === internal.callId).length, 0);
  });
});
