import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { placeCall, startOperator, stopAll } from "../../support/sipp.ts";
import { assertNear, assertSoundCall, talkMs } from "./checks.ts";
import { ended, startApp, type AppUnderTest } from "./harness.ts";

describe("app restart in the middle of calls", () => {
  let app: AppUnderTest;
  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await stopAll();
    await app?.close();
  });

  test("given 114 is ringing, when the app restarts, then the answer is still bridged and the call ends right", async () => {
    const op = await startOperator({ extension: 114, behaviour: { answerAfterMs: 5000 } });
    const caller = placeCall({ from: "74958880001", to: "4950000006", callerPort: 15078, talkMs: 1500 });
    const ringing = await app.waitForCall((c) => c.clientNumber === "74958880001" && !!c.legs[0]?.ringingAt);
    await app.stopApp();
    await new Promise((r) => setTimeout(r, 1000));
    await app.restartApp();
    const result = await caller;
    assert.equal(result.answered, true);
    const call = await app.waitForCall((c) => c.callId === ringing.callId && ended(c));
    assert.equal(call.conversations[0]?.extension, "114");
    assert.equal(call.hangupBy, "client");
    assert.equal(call.legs[0]?.result, "answered");
    const jobs = (await app.jobs()).filter((j) => j.data.callId === call.callId);
    assert.equal(new Set(jobs.map((j) => j.id)).size, call.version, "one job per version, ids unique");
    assertNear(talkMs(call.conversations[0]), 1500, 700, "talk time");
    await assertSoundCall(app, call, { legCallerId: "74958880001" });
    await op.stop();
  });

  test("given a talking call, when the client hangs up while the app is down, then resync finishes it", async () => {
    const op = await startOperator({ extension: 115, behaviour: { answerAfterMs: 300 } });
    const caller = placeCall({ from: "74958880002", to: "4950000007", callerPort: 15078, talkMs: 3000 });
    const talking = await app.waitForCall((c) => c.clientNumber === "74958880002" && c.phase === "talking");
    await app.stopApp();
    await caller; // the client hangs up while nobody listens
    assert.equal((await app.calls()).find((c) => c.callId === talking.callId)?.phase, "talking");
    await app.restartApp();
    const call = await app.waitForCall((c) => c.callId === talking.callId && ended(c), 15_000);
    assert.equal(call.conversations[0]?.extension, "115");
    assert.ok(call.conversations[0]?.endedAt);
    assert.equal(call.legs[0]?.result, "answered");
    assert.ok(call.legs[0]?.endedAt, "the operator leg was hung up and closed");
    await op.waitFor((s) => s.remoteHangups >= 1, 10_000);
    await assertSoundCall(app, call, { legCallerId: "74958880002" });
    await op.stop();
  });

  test("given a talking call, when the app restarts mid-conversation, then the client's later hangup ends it with the right talk time", async () => {
    const op = await startOperator({ extension: 115, behaviour: { answerAfterMs: 300 } });
    const caller = placeCall({
      from: "74958880003",
      to: "4950000007",
      callerPort: 15078,
      talkMs: 5000,
      expectAnswer: true,
    });
    const talking = await app.waitForCall((c) => c.clientNumber === "74958880003" && c.phase === "talking");
    await app.stopApp();
    await new Promise((r) => setTimeout(r, 1000));
    await app.restartApp();
    assert.equal((await app.calls()).find((c) => c.callId === talking.callId)?.phase, "talking");
    const result = await caller;
    assert.equal(result.hungUpBy, "caller");
    const call = await app.waitForCall((c) => c.callId === talking.callId && ended(c), 15_000);
    assert.equal(call.hangupBy, "client");
    assert.equal(call.clientResult, "answered");
    assert.deepEqual(
      call.conversations.map((c) => [c.extension, c.endReason]),
      [["115", "hangup"]],
    );
    assertNear(talkMs(call.conversations[0]), 5000, 800, "talk time across the restart");
    assertNear(
      Date.parse(call.endedAt!) - Date.parse(call.conversations[0]!.endedAt!),
      0,
      1000,
      "ended at once",
    );
    assert.equal(call.legs[0]?.result, "answered");
    await op.waitFor((s) => s.remoteHangups >= 1, 10_000);
    await assertSoundCall(app, call, { legCallerId: "74958880003" });
    await op.stop();
  });

  test("given a talking call, when the app restarts and then the operator hangs up, then the call ends by the operator", async () => {
    const op = await startOperator({ extension: 115, behaviour: { answerAfterMs: 300, talkMs: 4000 } });
    const caller = placeCall({
      from: "74958880004",
      to: "4950000007",
      callerPort: 15078,
      expectAnswer: true,
    });
    const talking = await app.waitForCall((c) => c.clientNumber === "74958880004" && c.phase === "talking");
    await app.stopApp();
    await new Promise((r) => setTimeout(r, 1000));
    await app.restartApp();
    const result = await caller;
    assert.equal(result.hungUpBy, "remote", "the app hung the client up after the operator left");
    const call = await app.waitForCall((c) => c.callId === talking.callId && ended(c), 15_000);
    assert.equal(call.hangupBy, "operator");
    assert.equal(call.clientResult, "answered");
    assertNear(talkMs(call.conversations[0]), 4000, 800, "talk time across the restart");
    await assertSoundCall(app, call, { legCallerId: "74958880004" });
    await op.stop();
  });

  test("given a caller in the IVR, when the app restarts, then the digits pressed after the restart still choose the extension", async () => {
    const op = await startOperator({ extension: 112, behaviour: { answerAfterMs: 300 } });
    const group = await startOperator({ extension: 113, behaviour: { answerAfterMs: 300 } });
    const caller = placeCall({
      from: "74958880005",
      to: "4950000009",
      callerPort: 15078,
      dtmf: "112",
      dtmfDelayMs: 3000, // after the restart below
      talkMs: 2000,
      expectAnswer: true,
    });
    const inIvr = await app.waitForCall((c) => c.clientNumber === "74958880005" && !!c.answeredAt);
    await app.stopApp();
    await new Promise((r) => setTimeout(r, 1000));
    await app.restartApp();
    await caller;
    const call = await app.waitForCall((c) => c.callId === inIvr.callId && ended(c), 15_000);
    assert.deepEqual(
      { digits: call.ivr?.digits, extension: call.ivr?.extension },
      { digits: "112", extension: "112" },
      "the IVR input went on after the restart",
    );
    assert.equal(call.conversations[0]?.extension, "112");
    assert.equal(group.stats().calls, 0, "the caller was not sent to the DID's group");
    await assertSoundCall(app, call, { legCallerId: "74958880005" });
    await op.stop();
    await group.stop();
  });
});
