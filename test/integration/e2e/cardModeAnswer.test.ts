/** Inbound calls end to end with card mode `answer`: one show to the manager who answered. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { cardEventAt, cardViewers, describeCardLog } from "../../support/e2eCrm.ts";
import { startStack, waitForCrmCall, type Stack } from "../../support/stack.ts";
import { cardLogOf, clientCalls, expectFinished, userOf } from "./expect.ts";

const DID = { solo: "4951130001", trio: "4951130002" };

describe("e2e: inbound calls, card mode answer", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      cardMode: "answer",
      groups: {
        solo: { strategy: "ringall", members: [113], groupTimeoutSec: 10 },
        trio: { strategy: "ringall", members: [114, 115, 116], groupTimeoutSec: 10 },
      },
      dids: { [DID.solo]: { group: "solo" }, [DID.trio]: { group: "trio" } },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  test("given 113 answers after 2 s, then the card is shown to 113's user only once answered, and hidden at the end; 200, 3 s", async () => {
    await stack.operator(113, { answerAfterMs: 2000 });
    const t0 = Date.now();
    await clientCalls({ from: "74951300001", to: DID.solo, talkMs: 3000, expectAnswer: true });
    const call = await waitForCrmCall(stack, { phone: "74951300001" });
    expectFinished(call, { type: 2, userId: userOf(113), status: "200", durationSec: 3 });
    assert.deepEqual(cardLogOf(call), [`show ${userOf(113)}`, `hide ${userOf(113)}`]);
    const shownAfter = cardEventAt(call, userOf(113), "show")! - t0;
    assert.ok(
      shownAfter >= 1800,
      `card shown ${shownAfter} ms after the call started, before the answer (2 s)`,
    );
  });

  test("given a ring-all group of 114, 115, 116 where 115 answers, then only 115's user ever sees the card", async () => {
    await stack.operator(114, "noAnswer");
    await stack.operator(115, { answerAfterMs: 1500 });
    await stack.operator(116, "noAnswer");
    await clientCalls({ from: "74951300002", to: DID.trio, talkMs: 2000, expectAnswer: true });
    const call = await waitForCrmCall(stack, { phone: "74951300002" });
    expectFinished(call, { type: 2, userId: userOf(115), status: "200", durationSec: 2 });
    assert.deepEqual(cardViewers(call), [userOf(115)], describeCardLog(call));
    assert.deepEqual(cardLogOf(call), [`show ${userOf(115)}`, `hide ${userOf(115)}`]);
  });
});
