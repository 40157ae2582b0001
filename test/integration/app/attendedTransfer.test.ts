import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { hasLinphone, startLinphone, type SoftPhone } from "../../support/linphone.ts";
import { placeCall, startOperator, stopAll } from "../../support/sipp.ts";
import { getTestbed } from "../../support/testbed.ts";
import { assertSoundCall } from "./checks.ts";
import { ended, startApp, type AppUnderTest } from "./harness.ts";

/** Operator 101 is a real soft-phone (test/support/linphone.ts): sipp cannot do an attended transfer. */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("attended transfer on the real Asterisk", () => {
  let app: AppUnderTest;
  let phone: SoftPhone | undefined;
  before(async () => {
    assert.ok(hasLinphone, "linphonec is not installed (run scripts/install-deps.sh)");
    app = await startApp();
  });
  after(async () => {
    await phone?.stop();
    await stopAll();
    await app?.close();
  });

  test("given 101 talks with a client, when 101 consults 119 and transfers, then 119 talks with the client in the same call", async () => {
    const tb = await getTestbed();
    phone = await startLinphone(101);
    const target = await startOperator({ extension: 119, behaviour: { answerAfterMs: 300 } });
    const caller = placeCall({ from: "74956660001", to: "4950000001", callerPort: 15074, talkMs: 14_000 });
    const talking = await app.waitForCall((c) => c.clientNumber === "74956660001" && c.phase === "talking");
    phone.send("pause 1");
    await sleep(1000);
    phone.send(`call sip:119@${tb.sip.host}:${tb.sip.port}`);
    await app.waitForCall((c) => c.originExtension === "101" && c.phase === "talking", 10_000);
    await sleep(1000);
    phone.send("transfer 1 --to-call 2");
    const result = await caller;
    assert.equal(result.answered, true);
    const call = await app.waitForCall((c) => c.callId === talking.callId && ended(c), 15_000);
    assert.deepEqual(
      call.transfers.map((t) => [t.kind, t.fromExtension, t.toExtension]),
      [["attended", "101", "119"]],
      phone.output().slice(-2000),
    );
    assert.deepEqual(
      call.conversations.map((c) => [c.extension, c.endReason]),
      [
        ["101", "transferred"],
        ["119", "hangup"],
      ],
    );
    assert.equal(call.hangupBy, "client");
    await assertSoundCall(app, call, {});
    const consult = await app.waitForCall((c) => c.originExtension === "101" && ended(c), 10_000);
    assert.equal(consult.direction, "internal");
    assert.equal(consult.conversations[0]?.endReason, "transferred");
    await target.waitFor((s) => s.remoteHangups >= 1, 10_000);
  });
});
