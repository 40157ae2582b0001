/**
 * Recording and durability end to end (card mode ring, recording on): the bridge recording is
 * attached after finish; an app restart while a call rings and while it is talked leaves both
 * correct in the CRM; a recording that finishes while the app is away is still attached.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startStack, waitForCrmCall, type Stack } from "../../support/stack.ts";
import { cardLogOf, clientCalls, expectFinished, sleep, userOf } from "./expect.ts";

const DID = { rec: "4951150001", ringing: "4951150002", talking: "4951150003", away: "4951150004" };

describe("e2e: recording and app restarts", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      cardMode: "ring",
      recording: true,
      groups: {
        rec: { members: [110], groupTimeoutSec: 10 },
        ringing: { members: [111], groupTimeoutSec: 20 },
        talking: { members: [112], groupTimeoutSec: 10 },
        away: { members: [113], groupTimeoutSec: 10 },
      },
      dids: {
        [DID.rec]: { group: "rec" },
        [DID.ringing]: { group: "ringing" },
        [DID.talking]: { group: "talking" },
        [DID.away]: { group: "away" },
      },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  test("given recording on, when a client talks 3 s with 110, then after finish one recording of the call is attached", async () => {
    await stack.operator(110, { answerAfterMs: 500 });
    await clientCalls({ from: "74951500001", to: DID.rec, talkMs: 3000, expectAnswer: true });
    const call = await waitForCrmCall(stack, { phone: "74951500001" }, { records: 1 });
    expectFinished(call, { type: 2, userId: userOf(110), status: "200", durationSec: 3 });
    assert.equal(call.records.length, 1, JSON.stringify(call.records));
    const [record] = call.records;
    assert.ok(
      record!.fileName.includes(call.EXTERNAL_CALL_ID),
      `file named after the call: ${record!.fileName}`,
    );
    assert.ok(record!.size > 8000, `about 3 s of audio, got ${record!.size} bytes`);
    assert.ok(record!.at >= call.finish!.finishedAt, "attached after finish");
  });

  test("given 111 rings, when the app restarts during the ringing and 111 answers afterwards, then the call is correct in the CRM", async () => {
    const op = await stack.operator(111, { answerAfterMs: 5000 });
    const talk = clientCalls({ from: "74951500002", to: DID.ringing, talkMs: 3000, expectAnswer: true });
    await op.waitFor((s) => s.calls === 1, 10_000);
    await sleep(500);
    await stack.stopApp();
    await sleep(1000);
    await stack.startApp();
    await talk;
    const call = await waitForCrmCall(stack, { phone: "74951500002" });
    expectFinished(call, { type: 2, userId: userOf(111), status: "200", durationSec: 3 });
    assert.deepEqual(cardLogOf(call), [`show ${userOf(111)}`, `hide ${userOf(111)}`]);
    const recorded = await waitForCrmCall(stack, { phone: "74951500002" }, { records: 1, timeoutMs: 15_000 });
    assert.equal(recorded.records.length, 1, "the recording survived the restart");
    assert.equal(op.stats().calls, 1, "111 was rung once");
  });

  test("given 112 talks with the client, when the app restarts during the conversation, then the call is correct in the CRM with the whole talk time", async () => {
    const op = await stack.operator(112, { answerAfterMs: 500 });
    const talk = clientCalls({ from: "74951500003", to: DID.talking, talkMs: 6000, expectAnswer: true });
    await op.waitFor((s) => s.answered === 1, 10_000);
    await sleep(1000);
    await stack.stopApp();
    await sleep(1500);
    await stack.startApp();
    await talk;
    const call = await waitForCrmCall(stack, { phone: "74951500003" });
    expectFinished(call, { type: 2, userId: userOf(112), status: "200", durationSec: 6 });
    assert.deepEqual(cardLogOf(call), [`show ${userOf(112)}`, `hide ${userOf(112)}`]);
    const recorded = await waitForCrmCall(stack, { phone: "74951500003" }, { records: 1, timeoutMs: 15_000 });
    assert.equal(recorded.records.length, 1, "the recording survived the restart");
  });

  test("given 113 talks with the client, when the recording finishes while the app is away (its RecordingFinished is never delivered), then the recording is still attached", async () => {
    const op = await stack.operator(113, { answerAfterMs: 500 });
    const talk = clientCalls({ from: "74951500004", to: DID.away, talkMs: 6000, expectAnswer: true });
    await op.waitFor((s) => s.answered === 1, 10_000);
    await sleep(1000);
    const calls = await stack.appCalls();
    const callId = calls.find((c) => c.clientNumber.endsWith("4951500004"))?.callId;
    assert.ok(callId, "the call is in the app");
    await stack.stopApp();
    // Destroying the call's bridge ends its recording now, while no app listens.
    await ariDelete(stack, `/bridges/itgrix-${callId}`);
    await sleep(1000);
    await stack.startApp();
    await talk;
    const call = await waitForCrmCall(stack, { phone: "74951500004" }, { records: 1, timeoutMs: 20_000 });
    expectFinished(call, { type: 2, userId: userOf(113), status: "200", durationSec: 6 });
    assert.equal(call.records.length, 1, JSON.stringify(call.records));
    assert.ok(
      call.records[0]!.fileName.includes(callId),
      `the call's recording: ${call.records[0]!.fileName}`,
    );
  });
});

async function ariDelete(stack: Stack, path: string): Promise<void> {
  const { url, user, password } = stack.testbed.ari;
  const authorization = "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
  const res = await fetch(`${url}/ari${path}`, { method: "DELETE", headers: { authorization } });
  assert.equal(res.status, 204, `DELETE ${path}: ${res.status}`);
}
