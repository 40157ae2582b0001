import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { placeCall, startOperator, stopAll } from "../../support/sipp.ts";
import { getTestbed } from "../../support/testbed.ts";
import { assertNear, assertSoundCall, talkMs } from "./checks.ts";
import { ended, startApp, type AppUnderTest } from "./harness.ts";

describe("inbound calls on the real Asterisk", () => {
  let app: AppUnderTest;
  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await stopAll();
    await app?.close();
  });

  test("given 101 answers, when a client calls the sales DID, then the call is answered, talked and ended by the client", async () => {
    const op = await startOperator({ extension: 101, behaviour: { answerAfterMs: 500 } });
    const result = await placeCall({
      from: "74951234567",
      to: "4950000001",
      talkMs: 1500,
      expectAnswer: true,
      callerPort: 15075,
    });
    assert.equal(result.hungUpBy, "caller");
    const call = await app.waitForCall((c) => ended(c) && c.lineNumber === "4950000001");
    assert.equal(call.direction, "inbound");
    assert.equal(call.clientNumber, "74951234567");
    assert.equal(call.hangupBy, "client");
    assert.equal(call.clientResult, "answered");
    assert.equal(call.conversations.length, 1);
    assert.equal(call.conversations[0]!.extension, "101");
    const leg = call.legs.find((l) => l.extension === "101")!;
    assert.ok(leg.ringingAt && leg.answeredAt && leg.endedAt, JSON.stringify(leg));
    assert.equal(leg.result, "answered");
    assert.equal(call.conversations[0]!.endReason, "hangup");
    assertNear(talkMs(call.conversations[0]), 1500, 700, "talk time");
    await assertSoundCall(app, call, { legCallerId: "74951234567" });
    const jobs = (await app.jobs()).filter((j) => j.data.callId === call.callId);
    assert.equal(new Set(jobs.map((j) => j.id)).size, jobs.length, "job ids unique");
    assert.equal(jobs.length, call.version, "one job per version");
    for (const kind of ["callStarted", "operatorRinging", "answered", "ended"]) {
      assert.ok(
        jobs.some((j) => j.name === kind),
        `a ${kind} job`,
      );
    }
    assert.equal(await app.redis.hget(app.control.ctx.keys.busyOperators, "101"), null, "101 no longer busy");
    await op.stop();
  });
});

describe("inbound hunting on the real Asterisk", () => {
  let app: AppUnderTest;
  before(async () => {
    app = await startApp({ recording: { enabled: true, format: "wav" } });
  });
  after(async () => {
    await stopAll();
    await app?.close();
  });

  test("given nobody answers, when the group times out, then the call is missed and the caller hung up", async () => {
    const op = await startOperator({ extension: 110, behaviour: "noAnswer" });
    const result = await placeCall({ from: "74951112233", to: "4950000005", callerPort: 15076 });
    assert.equal(result.answered, false);
    const call = await app.waitForCall((c) => ended(c) && c.lineNumber === "4950000005");
    assert.equal(call.clientResult, "noanswer");
    assert.equal(call.hangupBy, "system");
    assert.equal(call.conversations.length, 0);
    assert.equal(call.legs[0]!.result, "noanswer");
    assert.equal(call.answeredAt, undefined);
    assertNear(Date.parse(call.endedAt!) - Date.parse(call.startedAt), 4000, 1000, "group timeout");
    await assertSoundCall(app, call, { legCallerId: "74951112233" });
    await op.stop();
  });

  test("given the caller gives up while 110 rings, then the call ends as cancelled by the client", async () => {
    const op = await startOperator({ extension: 110, behaviour: "noAnswer" });
    await placeCall({ from: "74951112234", to: "4950000005", callerPort: 15076, hangupBeforeAnswerMs: 1000 });
    const call = await app.waitForCall((c) => ended(c) && c.clientNumber === "74951112234");
    assert.equal(call.hangupBy, "client");
    assert.equal(call.clientResult, "cancelled");
    const leg = call.legs.find((l) => l.extension === "110")!;
    assert.equal(leg.result, "cancelled");
    assert.ok(leg.endedAt);
    assert.equal(call.conversations.length, 0);
    await assertSoundCall(app, call, { legCallerId: "74951112234" });
    await op.stop();
  });

  test("ring-all with 3: 103 answers, 102 busy, 104 loses with answered elsewhere; recording is kept", async () => {
    const ops = await Promise.all([
      startOperator({ extension: 102, behaviour: "busy" }),
      startOperator({ extension: 103, behaviour: { answerAfterMs: 1000 } }),
      startOperator({ extension: 104, behaviour: "noAnswer" }),
    ]);
    await placeCall({
      from: "74951112235",
      to: "4950000002",
      callerPort: 15076,
      talkMs: 2000,
      expectAnswer: true,
    });
    const call = await app.waitForCall((c) => ended(c) && c.clientNumber === "74951112235");
    const result = (ext: string) => call.legs.find((l) => l.extension === ext)?.result;
    assert.equal(result("102"), "busy");
    assert.equal(result("103"), "answered");
    assert.equal(result("104"), "answeredElsewhere");
    assert.equal(call.conversations[0]?.extension, "103");
    assert.equal(call.conversations.length, 1);
    assertNear(talkMs(call.conversations[0]), 2000, 700, "talk time");
    await assertSoundCall(app, call, { legCallerId: "74951112235" });
    const done = await app.waitForCall(
      (c) => c.callId === call.callId && c.recording?.state === "done",
      15_000,
    );
    assert.equal(done.recording!.file, `itgrix/${call.callId}.wav`);
    const tb = await getTestbed();
    assert.ok(existsSync(`${tb.asterisk.recordingDir}/itgrix/${call.callId}.wav`), "the wav file exists");
    assert.ok((await app.jobs()).some((j) => j.data.callId === call.callId && j.name === "recordingReady"));
    await Promise.all(ops.map((o) => o.stop()));
  });

  test("sequential: 105 rejects, 106 does not answer in its 3 s, 107 answers", async () => {
    const ops = await Promise.all([
      startOperator({ extension: 105, behaviour: "reject" }),
      startOperator({ extension: 106, behaviour: "noAnswer" }),
      startOperator({ extension: 107, behaviour: { answerAfterMs: 300 } }),
    ]);
    await placeCall({
      from: "74951112236",
      to: "4950000003",
      callerPort: 15076,
      talkMs: 1000,
      expectAnswer: true,
    });
    const call = await app.waitForCall((c) => ended(c) && c.clientNumber === "74951112236");
    assert.deepEqual(
      call.legs.map((l) => [l.extension, l.result]),
      [
        ["105", "rejected"],
        ["106", "noanswer"],
        ["107", "answered"],
      ],
    );
    assert.ok(call.legs[1]!.dialledAt >= call.legs[0]!.endedAt!, "106 rang after 105 ended");
    assert.ok(call.legs[2]!.dialledAt >= call.legs[1]!.endedAt!, "107 rang after 106 ended");
    assertNear(
      Date.parse(call.legs[1]!.endedAt!) - Date.parse(call.legs[1]!.dialledAt),
      3000,
      800,
      "106 rang 3 s",
    );
    assertNear(talkMs(call.conversations[0]), 1000, 700, "talk time");
    await assertSoundCall(app, call, { legCallerId: "74951112236" });
    await Promise.all(ops.map((o) => o.stop()));
  });

  test("ring-all with an unregistered member: nobody asks Asterisk about endpoints first, 199's dial fails at once, 117 answers", async () => {
    const rest = app.control.adapter.rest;
    const getEndpoint = rest.getEndpoint.bind(rest);
    let asked = 0;
    rest.getEndpoint = (tech, resource) => (asked++, getEndpoint(tech, resource));
    const op = await startOperator({ extension: 117, behaviour: { answerAfterMs: 300 } });
    try {
      await placeCall({
        from: "74951112299",
        to: "4950000010",
        talkMs: 800,
        expectAnswer: true,
        callerPort: 15079,
      });
      const call = await app.waitForCall((c) => ended(c) && c.lineNumber === "4950000010");
      assert.equal(asked, 0, "no GET /endpoints before dialling");
      const unreg = call.legs.find((l) => l.extension === "199")!;
      assert.equal(unreg.result, "unregistered", JSON.stringify(unreg));
      assert.equal(unreg.ringingAt, undefined);
      assert.equal(call.conversations[0]?.extension, "117");
    } finally {
      rest.getEndpoint = getEndpoint;
      await op.stop();
    }
  });

  test("an operator busy in another call is skipped and recorded as busy", async () => {
    // The other call must be live (a control record not ended): a mark naming a call that is over
    // is dropped by the hunt as stale (test/unit/app/busyMarks.test.ts).
    const other = app.control.ctx.keys.appControl("another-call");
    await app.redis.set(other, JSON.stringify({ callId: "another-call", direction: "inbound", legs: {} }));
    await app.redis.hset(app.control.ctx.keys.busyOperators, "101", "another-call");
    try {
      await placeCall({ from: "74951112237", to: "4950000001", callerPort: 15076 });
      const call = await app.waitForCall((c) => ended(c) && c.clientNumber === "74951112237");
      assert.equal(call.legs.length, 1);
      assert.equal(call.legs[0]!.skipped, true);
      assert.equal(call.legs[0]!.result, "busy");
      assert.equal(call.clientResult, "noanswer");
      await assertSoundCall(app, call);
    } finally {
      await app.redis.hdel(app.control.ctx.keys.busyOperators, "101");
      await app.redis.del(other);
    }
  });
});
