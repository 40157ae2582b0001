import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { placeCall, placeOperatorCall, startClient, startOperator, stopAll } from "../../support/sipp.ts";
import { ended, startApp, type AppUnderTest } from "./harness.ts";

describe("outbound, internal and transferred calls on the real Asterisk", () => {
  let app: AppUnderTest;
  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await stopAll();
    await app?.close();
  });

  test("given the client answers, when 111 dials out, then the call is bridged and recorded as answered", async () => {
    const client = await startClient({ behaviour: { answerAfterMs: 500 } });
    await placeOperatorCall({ fromExtension: 111, to: "84951234567", talkMs: 1500, expectAnswer: true });
    const call = await app.waitForCall((c) => ended(c) && c.originExtension === "111");
    assert.equal(call.direction, "outbound");
    assert.equal(call.clientNumber, "84951234567");
    assert.equal(call.lineNumber, "trunk");
    assert.equal(call.clientResult, "answered");
    assert.equal(call.hangupBy, "operator");
    assert.equal(call.conversations[0]?.extension, "111");
    await client.stop();
  });

  test("given the client is busy, when 112 dials out, then the call ends busy with cause 17", async () => {
    const client = await startClient({ behaviour: "busy" });
    const result = await placeOperatorCall({
      fromExtension: 112,
      to: "84951234568",
      hangupBeforeAnswerMs: 10_000,
    });
    assert.equal(result.answered, false);
    const call = await app.waitForCall((c) => ended(c) && c.originExtension === "112");
    assert.equal(call.clientResult, "busy");
    assert.equal(call.clientCause, 17);
    assert.equal(call.conversations.length, 0);
    await client.stop();
  });

  test("given 118 answers, when 117 dials 118, then an internal call is talked", async () => {
    const op = await startOperator({ extension: 118, behaviour: { answerAfterMs: 300 } });
    await placeOperatorCall({ fromExtension: 117, to: "118", talkMs: 1000, expectAnswer: true });
    const call = await app.waitForCall((c) => ended(c) && c.originExtension === "117");
    assert.equal(call.direction, "internal");
    assert.equal(call.conversations[0]?.extension, "118");
    await op.stop();
  });

  test("given 116 answers and blind-transfers to 119, then 119 talks with the client", async () => {
    const ops = await Promise.all([
      startOperator({
        extension: 116,
        behaviour: { blindTransfer: { answerAfterMs: 300, afterMs: 1000, to: "119" } },
      }),
      startOperator({ extension: 119, behaviour: { answerAfterMs: 500 } }),
    ]);
    await placeCall({
      from: "74959990001",
      to: "4950000008",
      callerPort: 15077,
      talkMs: 5000,
      expectAnswer: true,
    });
    const call = await app.waitForCall((c) => ended(c) && c.clientNumber === "74959990001");
    assert.deepEqual(
      call.transfers.map((t) => [t.kind, t.fromExtension, t.toExtension]),
      [["blind", "116", "119"]],
    );
    assert.deepEqual(
      call.conversations.map((c) => [c.extension, c.endReason]),
      [
        ["116", "transferred"],
        ["119", "hangup"],
      ],
    );
    assert.equal(call.legs.find((l) => l.extension === "119")?.purpose, "transfer");
    assert.equal(call.hangupBy, "client");
    await Promise.all(ops.map((o) => o.stop()));
  });
});
