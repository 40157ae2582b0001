import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { placeCall, startOperator, stopAll } from "../../support/sipp.ts";
import { assertNear, assertSoundCall, talkMs } from "./checks.ts";
import { ended, startApp, type AppUnderTest } from "./harness.ts";

describe("round-robin and IVR on the real Asterisk", () => {
  let app: AppUnderTest;
  before(async () => {
    app = await startApp();
  });
  afterEach(() => stopAll()); // phones of a failed test must not hold their ports
  after(async () => {
    await stopAll();
    await app?.close();
  });

  const call = async (from: string, to: string, options: { dtmf?: string; talkMs?: number } = {}) => {
    await placeCall({ from, to, callerPort: 15079, talkMs: options.talkMs ?? 1000, dtmf: options.dtmf });
    return app.waitForCall((c) => ended(c) && c.clientNumber === from);
  };

  test("round-robin 108/109: the least recently offered operator rings first, a miss moves on", async () => {
    const op108 = await startOperator({ extension: 108, behaviour: { answerAfterMs: 300 } });
    const op109 = await startOperator({ extension: 109, behaviour: { answerAfterMs: 300 } });
    const first = await call("74957770001", "4950000004");
    const second = await call("74957770002", "4950000004");
    const third = await call("74957770003", "4950000004");
    const talked = (c: typeof first) => c.conversations.map((x) => x.extension);
    assert.deepEqual([talked(first), talked(second), talked(third)], [["108"], ["109"], ["108"]]);
    for (const c of [first, second, third]) {
      assert.equal(c.legs.length, 1, JSON.stringify(c.legs));
      await assertSoundCall(app, c, { legCallerId: c.clientNumber });
    }
    // 109 is next: it does not answer in its 3 s, so 108 gets the call.
    await op109.stop();
    await startOperator({ extension: 109, behaviour: "noAnswer" });
    const fourth = await call("74957770004", "4950000004");
    assert.deepEqual(
      fourth.legs.map((l) => [l.extension, l.result]),
      [
        ["109", "noanswer"],
        ["108", "answered"],
      ],
    );
    assertNear(
      Date.parse(fourth.legs[0]!.endedAt!) - Date.parse(fourth.legs[0]!.dialledAt),
      3000,
      800,
      "109 rang 3 s",
    );
    await assertSoundCall(app, fourth, { legCallerId: "74957770004" });
    const rr = await app.redis.hgetall(app.control.ctx.keys.roundRobin("rr"));
    assert.ok(Number(rr["108"]) > Number(rr["109"]), `108 offered last: ${JSON.stringify(rr)}`);
    await op108.stop();
  });

  test("IVR: the caller dials 112 and 112 answers", async () => {
    const op = await startOperator({ extension: 112, behaviour: { answerAfterMs: 300 } });
    const c = await call("74957770011", "4950000009", { dtmf: "112", talkMs: 3000 });
    assert.deepEqual(
      { digits: c.ivr?.digits, extension: c.ivr?.extension, missed: c.ivr?.missed },
      { digits: "112", extension: "112", missed: undefined },
    );
    assert.deepEqual(
      c.legs.map((l) => [l.extension, l.purpose, l.result]),
      [["112", "ivr", "answered"]],
    );
    assert.equal(c.conversations[0]?.extension, "112");
    assert.equal(c.hangupBy, "client");
    assert.ok(
      c.answeredAt && Date.parse(c.answeredAt) < Date.parse(c.legs[0]!.dialledAt),
      "the IVR answered first",
    );
    // 3 s after the answer the caller hangs up; the digits and the ring took part of that.
    assert.ok(talkMs(c.conversations[0]) > 300 && talkMs(c.conversations[0]) < 3000, "talk time");
    await assertSoundCall(app, c, { legCallerId: "74957770011" });
    assert.ok(!(await app.jobs()).some((j) => j.data.callId === c.callId && j.name === "ivrMissed"));
    await op.stop();
  });

  test("IVR: 112 misses the call, ivrMissed is recorded, then the DID's group (113) answers", async () => {
    const ops = await Promise.all([
      startOperator({ extension: 112, behaviour: "noAnswer" }),
      startOperator({ extension: 113, behaviour: { answerAfterMs: 300 } }),
    ]);
    const c = await call("74957770012", "4950000009", { dtmf: "112", talkMs: 6000 });
    assert.deepEqual(
      { digits: c.ivr?.digits, extension: c.ivr?.extension, missed: c.ivr?.missed },
      { digits: "112", extension: "112", missed: true },
    );
    assert.deepEqual(
      c.legs.map((l) => [l.extension, l.purpose, l.result]),
      [
        ["112", "ivr", "noanswer"],
        ["113", "group", "answered"],
      ],
    );
    assertNear(Date.parse(c.legs[0]!.endedAt!) - Date.parse(c.legs[0]!.dialledAt), 3000, 800, "112 rang 3 s");
    // The app hangs 112 up at its deadline and goes on at once; 112's end is reported a few ms later.
    assertNear(
      Date.parse(c.legs[1]!.dialledAt) - Date.parse(c.legs[0]!.endedAt!),
      0,
      300,
      "the group rang when the IVR choice missed",
    );
    assert.deepEqual(
      c.conversations.map((x) => x.extension),
      ["113"],
    );
    await assertSoundCall(app, c, { legCallerId: "74957770012" });
    const jobs = (await app.jobs()).filter((j) => j.data.callId === c.callId);
    assert.equal(jobs.filter((j) => j.name === "ivrMissed").length, 1, "one ivrMissed job");
    await Promise.all(ops.map((o) => o.stop()));
  });

  test("IVR: no digits, the call goes to the DID's group after the digit timeout", async () => {
    const op = await startOperator({ extension: 113, behaviour: { answerAfterMs: 300 } });
    const c = await call("74957770013", "4950000009", { talkMs: 5000 });
    assert.equal(c.ivr, undefined);
    assert.deepEqual(
      c.legs.map((l) => [l.extension, l.purpose, l.result]),
      [["113", "group", "answered"]],
    );
    assertNear(Date.parse(c.legs[0]!.dialledAt) - Date.parse(c.answeredAt!), 2000, 700, "digit timeout");
    await assertSoundCall(app, c, { legCallerId: "74957770013" });
    await op.stop();
  });
});
