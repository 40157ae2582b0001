import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { placeCall, startOperator, stopAll } from "../../support/sipp.ts";
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
    const result = await placeCall({ from: "74951234567", to: "4950000001", talkMs: 1500, expectAnswer: true, callerPort: 15075 });
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
    const jobs = (await app.jobs()).filter((j) => j.data.callId === call.callId);
    assert.equal(new Set(jobs.map((j) => j.id)).size, jobs.length, "job ids unique");
    assert.equal(jobs.length, call.version, "one job per version");
    for (const kind of ["callStarted", "operatorRinging", "answered", "ended"]) {
      assert.ok(jobs.some((j) => j.name === kind), `a ${kind} job`);
    }
    assert.equal(await app.redis.hget(`${app.prefix}:operators:busy`, "101"), null, "101 no longer busy");
    await op.stop();
  });
});
