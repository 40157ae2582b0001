/**
 * Chaos: Asterisk stops for 60 s (`core stop now`: every channel hung up, the ARI websocket closed)
 * and starts again, while one call talks and one rings. The app survives (it is the bug of the issue:
 * it died of a ping on the closed socket), reconnects on its own and serves calls again; the calls
 * that died with Asterisk reach the CRM once, finished at the moment Asterisk went away; calls placed
 * while Asterisk is down never reach it. Prints the app's recovery time after Asterisk is back.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestbedAsterisk, stopTestbedAsterisk } from "../../support/asteriskControl.ts";
import { placeCall } from "../../support/sipp.ts";
import { startStack, type Stack } from "../../support/stack.ts";
import { clientCalls, userOf } from "../e2e/expect.ts";
import { CallLedger, sleep, until } from "./ledger.ts";

const DID = { solo: "4951740001", missed: "4951740002" };
const OUTAGE_MS = 60_000;

describe("chaos: Asterisk stopped for 60 s", () => {
  let stack: Stack;
  let asteriskDown = false;
  const ledger = new CallLedger("7495174");

  before(async () => {
    stack = await startStack({
      groups: {
        solo: { strategy: "ringall", members: [110], groupTimeoutSec: 15 },
        missed: { strategy: "ringall", members: [111], groupTimeoutSec: 30 },
      },
      dids: { [DID.solo]: { group: "solo" }, [DID.missed]: { group: "missed" } },
      operators: { 110: { answerAfterMs: 300 }, 111: "noAnswer" },
      config: { ari: { reconnectMaxDelayMs: 2000, pingIntervalMs: 15_000 } }, // the defaults
    });
  });
  after(async () => {
    if (asteriskDown) await startTestbedAsterisk(); // the next test files need it
    await stack?.stop();
  });

  test("given a call talking and one ringing, when Asterisk stops for 60 s, then the app stays up, comes back by itself, both calls reach the CRM once, and calls work again", async () => {
    const first = ledger.phone();
    await clientCalls({ from: first, to: DID.solo, talkMs: 1500, expectAnswer: true });
    ledger.expect(first, "before", { kind: "crm", userId: userOf(110), status: "200", durationSec: 1.5 });

    const talking = ledger.phone();
    const talk = clientCalls({ from: talking, to: DID.solo, talkMs: 120_000 });
    await stack.phone(110).waitFor((s) => s.answered >= 2, 10_000);
    const answeredAt = Date.now();
    const ringing = ledger.phone();
    const ring = clientCalls({ from: ringing, to: DID.missed, hangupBeforeAnswerMs: 120_000 });
    await stack.phone(111).waitFor((s) => s.calls >= 1, 10_000);
    await sleep(1000);

    const stoppedAt = Date.now();
    asteriskDown = true;
    await stopTestbedAsterisk();
    await Promise.all([talk, ring]); // Asterisk hung both up on its way down
    ledger.expect(talking, "during", {
      kind: "crm",
      userId: userOf(110),
      status: "200",
      durationSec: (stoppedAt - answeredAt) / 1000,
    });
    ledger.expect(ringing, "during", { kind: "crm", userId: userOf(111), status: "304", durationSec: 0 });

    await sleep(2000);
    const unreached = ledger.phone();
    const lost = await placeCall({
      from: unreached,
      to: DID.solo,
      hangupBeforeAnswerMs: 3000,
      callerPort: 15070,
    });
    assert.equal(lost.answered, false);
    ledger.expect(unreached, "during", { kind: "unreached" });
    const during = await stack.appStatus();
    assert.equal(during.ari.connected, false, "the app is alive and knows Asterisk is away");
    assert.equal(during.status, "error");

    await sleep(OUTAGE_MS - (Date.now() - stoppedAt));
    const since = stack.status.lastResyncAt;
    await startTestbedAsterisk();
    asteriskDown = false;
    const backAt = Date.now();
    await until(
      "the app to reconnect and resync",
      () => stack.status.ariConnected && stack.status.lastResyncAt !== since,
      30_000,
    );
    const recoveryMs = Date.now() - backAt;

    const last = ledger.phone();
    await clientCalls({ from: last, to: DID.solo, talkMs: 1500, expectAnswer: true });
    ledger.expect(last, "after", { kind: "crm", userId: userOf(110), status: "200", durationSec: 1.5 });
    const summary = await ledger.verify(stack);
    process.stdout.write(
      `# asterisk stopped ${OUTAGE_MS / 1000} s: the app reconnected and resynced ${recoveryMs} ms after ARI answered again; ${summary}\n`,
    );
    assert.ok(recoveryMs < 5000, `recovery took ${recoveryMs} ms`);
  });
});
