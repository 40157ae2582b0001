/**
 * Chaos: the app process (`app/main.ts`, a real child process) is killed with -9 while calls ring and
 * talk, then started again. A leg that answers while the app is dead waits in Stasis, answered, and
 * the restarted app connects it; a talk that ends while the app is dead is finished by the resync; a
 * talk that goes on is followed to its real end; calls meanwhile meet the dialplan fallback.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startStack, type Stack } from "../../support/stack.ts";
import { clientCalls, userOf } from "../e2e/expect.ts";
import { CallLedger, sleep, untilAppInactive } from "./ledger.ts";

const DID = { solo: "4951730001", slow: "4951730002", other: "4951730003" };

describe("chaos: the app killed with -9", () => {
  let stack: Stack;
  const ledger = new CallLedger("7495173");

  before(async () => {
    stack = await startStack({
      appProcess: "child",
      groups: {
        solo: { strategy: "ringall", members: [110], groupTimeoutSec: 15 },
        slow: { strategy: "ringall", members: [111], groupTimeoutSec: 20 },
        other: { strategy: "ringall", members: [112], groupTimeoutSec: 15 },
      },
      dids: { [DID.solo]: { group: "solo" }, [DID.slow]: { group: "slow" }, [DID.other]: { group: "other" } },
      operators: {
        110: { answerAfterMs: 300 },
        111: { answerAfterMs: 4000 },
        112: { answerAfterMs: 300 },
        101: { answerAfterMs: 300 },
        102: "noAnswer",
      },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  async function normalCall(phase: "before" | "after"): Promise<void> {
    const phone = ledger.phone();
    await clientCalls({ from: phone, to: DID.solo, talkMs: 1500, expectAnswer: true });
    ledger.expect(phone, phase, { kind: "crm", userId: userOf(110), status: "200", durationSec: 1.5 });
  }

  /** A call while the app is dead: Stasis() fails, the dialplan's fallback (101) takes it. */
  async function fallbackCall(): Promise<void> {
    await untilAppInactive();
    const phone = ledger.phone();
    const rung = stack.phone(101).calls();
    await clientCalls({ from: phone, to: DID.solo, talkMs: 500, expectAnswer: true });
    assert.equal(stack.phone(101).calls(), rung + 1, "the fallback phone took the call");
    ledger.expect(phone, "during", { kind: "fallback" });
  }

  async function restart(): Promise<number> {
    const t0 = Date.now();
    await stack.startApp();
    return Date.now() - t0;
  }

  test("given 111 rings, when the app is killed and 111 answers while it is dead, then the restarted app connects the call", async () => {
    await normalCall("before");
    const ringing = ledger.phone();
    const call = clientCalls({ from: ringing, to: DID.slow, talkMs: 2000, expectAnswer: true });
    await stack.phone(111).waitFor((s) => s.calls >= 1, 10_000);
    await sleep(500);
    await stack.killApp();
    await fallbackCall();
    await stack.phone(111).waitFor((s) => s.answered >= 1, 10_000); // answered, the app still dead
    const startMs = await restart();
    await call;
    ledger.expect(ringing, "during", { kind: "crm", userId: userOf(111), status: "200", durationSec: 2 });
    await normalCall("after");
    const summary = await ledger.verify(stack);
    process.stdout.write(
      `# killed while ringing: app back in ${startMs} ms (process start + resync); ${summary}\n`,
    );
  });

  test("given two calls talking, when the app is killed, one client hangs up while it is dead and the other after it is back, then both end right", async () => {
    const short = ledger.phone();
    const long = ledger.phone();
    const shortCall = clientCalls({ from: short, to: DID.solo, talkMs: 3000, expectAnswer: true });
    const longCall = clientCalls({ from: long, to: DID.other, talkMs: 10_000, expectAnswer: true });
    await stack.phone(110).waitFor((s) => s.answered >= 3, 10_000);
    await stack.phone(112).waitFor((s) => s.answered >= 1, 10_000);
    await sleep(1000);
    const killedAt = Date.now();
    await stack.killApp();
    await shortCall; // the client leaves while nobody follows the call
    await fallbackCall();
    await restart();
    const deadSec = (Date.now() - killedAt) / 1000;
    await longCall;
    // the app knows only that the short call was alive until about the kill and gone at the restart
    ledger.expect(short, "during", {
      kind: "crm",
      userId: userOf(110),
      status: "200",
      durationSec: [0.5, 1 + deadSec],
    });
    ledger.expect(long, "during", { kind: "crm", userId: userOf(112), status: "200", durationSec: 10 });
    await stack.phone(110).waitFor((s) => s.remoteHangups + s.localHangups >= 3, 10_000);
    await normalCall("after");
    const summary = await ledger.verify(stack);
    process.stdout.write(`# killed while talking: dead ${deadSec.toFixed(1)} s; ${summary}\n`);
  });
});
