/**
 * Inbound calls end to end (real Asterisk + sipp + Redis + the Stasis app + a worker + the emulator),
 * card mode `ring`: what Bitrix24 received for each call.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { cardEventAt, cardViewers, describeCardLog } from "../../support/e2eCrm.ts";
import { crmCallsMatching, startStack, waitForCrmCall, type Stack } from "../../support/stack.ts";
import { cardLogOf, clientCalls, expectFinished, sleep, userOf } from "./expect.ts";

const DID = {
  solo: "4951110001",
  trio: "4951110002",
  seq: "4951110003",
  rr: "4951110004",
  pair: "4951110005",
};

describe("e2e: inbound calls, card mode ring", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      cardMode: "ring",
      groups: {
        solo: { strategy: "ringall", members: [110], groupTimeoutSec: 5 },
        trio: { strategy: "ringall", members: [111, 112, 113], groupTimeoutSec: 15 },
        seq: { strategy: "sequential", members: [114, 115, 116], ringTimeoutSec: 2, groupTimeoutSec: 20 },
        rr: { strategy: "roundrobin", members: [117, 118], ringTimeoutSec: 5, groupTimeoutSec: 15 },
        pair: { strategy: "ringall", members: [110, 111], groupTimeoutSec: 10 },
      },
      dids: {
        [DID.solo]: { group: "solo" },
        [DID.trio]: { group: "trio" },
        [DID.seq]: { group: "seq" },
        [DID.rr]: { group: "rr" },
        [DID.pair]: { group: "pair" },
      },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  test("given 110 answers after 2 s, when a client calls and talks 3 s, then one call: 110's user, 200, 3 s, card shown while ringing and hidden at the end", async () => {
    await stack.operator(110, { answerAfterMs: 2000 });
    const t0 = Date.now();
    await clientCalls({ from: "74951000001", to: DID.solo, talkMs: 3000, expectAnswer: true });
    const call = await waitForCrmCall(stack, { phone: "74951000001" });
    expectFinished(call, { type: 2, userId: userOf(110), status: "200", durationSec: 3 });
    assert.equal(call.LINE_NUMBER, DID.solo);
    assert.deepEqual(cardLogOf(call), ["show 11", "hide 11"]);
    const shownAt = cardEventAt(call, 11, "show")!;
    assert.ok(
      shownAt - t0 < 2000,
      `card shown ${shownAt - t0} ms after the call started, i.e. not while ringing`,
    );
    assert.ok(cardEventAt(call, 11, "hide")! - t0 >= 4500, "card hidden only when the call ended");
    assert.equal((await crmCallsMatching(stack, "74951000001")).length, 1, "registered once");
  });

  test("given 110 does not answer, when the group times out, then a missed call (304) for 110's user, 0 s, card shown then hidden", async () => {
    await stack.operator(110, "noAnswer");
    const result = await clientCalls({ from: "74951000002", to: DID.solo, hangupBeforeAnswerMs: 20_000 });
    assert.equal(result.answered, false);
    const call = await waitForCrmCall(stack, { phone: "74951000002" });
    expectFinished(call, { type: 2, userId: userOf(110), status: "304", durationSec: 0, toleranceSec: 0 });
    assert.deepEqual(cardLogOf(call), ["show 11", "hide 11"]);
    const shown = cardEventAt(call, 11, "show")!;
    const hidden = cardEventAt(call, 11, "hide")!;
    assert.ok(hidden - shown >= 4000, `card hidden ${hidden - shown} ms after shown; the group rings 5 s`);
  });

  test("given 110 does not answer, when the client hangs up after 2 s of ringing, then 304 for 110's user and the card is hidden at once", async () => {
    const phone = await stack.operator(110, "noAnswer");
    const t0 = Date.now();
    await clientCalls({ from: "74951000003", to: DID.solo, hangupBeforeAnswerMs: 2000 });
    const hungUpAt = Date.now();
    const call = await waitForCrmCall(stack, { phone: "74951000003" });
    expectFinished(call, { type: 2, userId: userOf(110), status: "304", durationSec: 0, toleranceSec: 0 });
    assert.deepEqual(cardLogOf(call), ["show 11", "hide 11"]);
    assert.ok(cardEventAt(call, 11, "hide")! - hungUpAt < 2000, "card hidden soon after the caller hung up");
    assert.ok(cardEventAt(call, 11, "show")! - t0 < 2500, "card shown while ringing");
    await phone.waitFor((s) => s.cancelled === 1, 5000);
  });

  test("given 110 is talking, when a second client calls the 110+111 group, then 110 is skipped (not rung, no card) and 111 gets it", async () => {
    const op110 = await stack.operator(110, { answerAfterMs: 300 });
    const op111 = await stack.operator(111, { answerAfterMs: 1000 });
    const first = clientCalls({ from: "74951000004", to: DID.solo, talkMs: 8000, expectAnswer: true });
    await op110.waitFor((s) => s.answered === 1, 10_000);
    await sleep(500);
    await clientCalls({ from: "74951000005", to: DID.pair, talkMs: 2000, expectAnswer: true });
    await first;
    const second = await waitForCrmCall(stack, { phone: "74951000005" });
    expectFinished(second, { type: 2, userId: userOf(111), status: "200", durationSec: 2 });
    assert.deepEqual(cardViewers(second), [userOf(111)], `only 111 saw the card: ${describeCardLog(second)}`);
    assert.equal(op110.stats().calls, 1, "110 was not rung for the second call");
    assert.equal(op111.stats().calls, 1);
    const firstCall = await waitForCrmCall(stack, { phone: "74951000004" });
    expectFinished(firstCall, { type: 2, userId: userOf(110), status: "200", durationSec: 8 });
  });

  test("given a ring-all group of 111, 112, 113 where 112 answers, then all three saw the card, the losers' cards were hidden on the answer, 112's at the end", async () => {
    const op111 = await stack.operator(111, "noAnswer");
    await stack.operator(112, { answerAfterMs: 2000 });
    const op113 = await stack.operator(113, "noAnswer");
    await clientCalls({ from: "74951000006", to: DID.trio, talkMs: 2000, expectAnswer: true });
    const call = await waitForCrmCall(stack, { phone: "74951000006" });
    expectFinished(call, { type: 2, userId: userOf(112), status: "200", durationSec: 2 });
    const [u111, u112, u113] = [userOf(111), userOf(112), userOf(113)];
    const log = cardLogOf(call);
    assert.deepEqual(
      log.slice(0, 3).sort(),
      [`show ${u111}`, `show ${u112}`, `show ${u113}`],
      `shown to all three first: ${log}`,
    );
    assert.deepEqual(
      log.slice(3, 5).sort(),
      [`hide ${u111}`, `hide ${u113}`],
      `then hidden from the losers: ${log}`,
    );
    assert.deepEqual(log.slice(5), [`hide ${u112}`], `the winner's card hidden last: ${log}`);
    const answeredAt = Math.max(cardEventAt(call, u111, "hide")!, cardEventAt(call, u113, "hide")!);
    assert.ok(
      cardEventAt(call, u112, "hide")! - answeredAt >= 1500,
      "the winner keeps the card while talking",
    );
    await op111.waitFor((s) => s.cancelled === 1, 5000);
    await op113.waitFor((s) => s.cancelled === 1, 5000);
  });

  test("given a sequential group 114 → 115 → 116 with 2 s each where only 116 answers, then the card moves 114, 115, 116 in that order and 116's user gets the call", async () => {
    const ops = [await stack.operator(114, "noAnswer"), await stack.operator(115, "noAnswer")];
    await stack.operator(116, { answerAfterMs: 500 });
    await clientCalls({ from: "74951000007", to: DID.seq, talkMs: 2000, expectAnswer: true });
    const call = await waitForCrmCall(stack, { phone: "74951000007" });
    expectFinished(call, { type: 2, userId: userOf(116), status: "200", durationSec: 2 });
    const [a, b, c] = [userOf(114), userOf(115), userOf(116)];
    assert.deepEqual(cardLogOf(call), [
      `show ${a}`,
      `hide ${a}`,
      `show ${b}`,
      `hide ${b}`,
      `show ${c}`,
      `hide ${c}`,
    ]);
    const gap = cardEventAt(call, b, "show")! - cardEventAt(call, a, "show")!;
    assert.ok(gap >= 1500 && gap <= 3500, `115 offered ${gap} ms after 114 (ring timeout 2 s)`);
    for (const op of ops) assert.equal(op.stats().calls, 1);
    assert.equal(stack.phone(116).stats().calls, 1);
  });

  test("given a round-robin group 117, 118 where both answer, when three clients call one after another, then the calls alternate between them", async () => {
    await stack.operator(117, { answerAfterMs: 500 });
    await stack.operator(118, { answerAfterMs: 500 });
    const users: number[] = [];
    for (const from of ["74951000008", "74951000009", "74951000010"]) {
      await clientCalls({ from, to: DID.rr, talkMs: 1000, expectAnswer: true });
      const call = await waitForCrmCall(stack, { phone: from });
      expectFinished(call, { type: 2, userId: call.finish?.USER_ID ?? -1, status: "200", durationSec: 1 });
      assert.deepEqual(
        cardViewers(call),
        [call.finish!.USER_ID],
        `only the operator offered saw the card: ${describeCardLog(call)}`,
      );
      users.push(call.finish!.USER_ID);
    }
    assert.deepEqual(new Set(users), new Set([userOf(117), userOf(118)]), `both got calls: ${users}`);
    assert.notEqual(users[0], users[1]);
    assert.equal(users[2], users[0], `least recently offered first: ${users}`);
    assert.equal(
      stack.phone(117).stats().calls + stack.phone(118).stats().calls,
      3,
      "nobody was rung twice for one call",
    );
  });
});
