/**
 * Chaos: the app's ARI websocket breaks while calls run. The app reaches Asterisk through a TCP proxy
 * that resets every connection (a cut), refuses new ones for a while (the app cannot get back: an
 * operator answers meanwhile, a new call meets the dialplan fallback), or silently stops passing data
 * (only the ping notices; a call whose StasisStart was lost is picked up by the resync). Last, another
 * process takes the application name: the app goes passive, says so in /status, does not fight back,
 * and a restart takes the name back.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { startStack, type Stack } from "../../support/stack.ts";
import { startTcpProxy, type TcpProxy } from "../../support/tcpProxy.ts";
import { getTestbed } from "../../support/testbed.ts";
import { clientCalls, userOf } from "../e2e/expect.ts";
import { CallLedger, sleep, until, untilAppInactive } from "./ledger.ts";

const DID = { solo: "4951720001", slow: "4951720002" };

describe("chaos: ARI websocket cut", () => {
  let proxy: TcpProxy;
  let stack: Stack;
  const ledger = new CallLedger("7495172");

  before(async () => {
    const tb = await getTestbed();
    proxy = await startTcpProxy(Number(new URL(tb.ari.url).port));
    stack = await startStack({
      ariUrl: proxy.url,
      groups: {
        solo: { strategy: "ringall", members: [110], groupTimeoutSec: 15 },
        slow: { strategy: "ringall", members: [111], groupTimeoutSec: 15 },
      },
      dids: { [DID.solo]: { group: "solo" }, [DID.slow]: { group: "slow" } },
      operators: {
        110: { answerAfterMs: 300 },
        111: { answerAfterMs: 3000 },
        101: { answerAfterMs: 300 },
        102: "noAnswer",
      },
      config: { ari: { pingIntervalMs: 1000, reconnectMaxDelayMs: 1000 } },
    });
  });
  after(async () => {
    await stack?.stop();
    await proxy?.close();
  });

  const answered = (ext: number, n: number) => stack.phone(ext).waitFor((s) => s.answered >= n, 15_000);
  const resynced = async (since: string | undefined) =>
    until(
      "the app to reconnect and resync",
      () => stack.status.ariConnected && stack.status.lastResyncAt !== since,
    );

  async function normalCall(phase: "before" | "after", talkMs = 1500): Promise<void> {
    const phone = ledger.phone();
    await clientCalls({ from: phone, to: DID.solo, talkMs, expectAnswer: true });
    ledger.expect(phone, phase, {
      kind: "crm",
      userId: userOf(110),
      status: "200",
      durationSec: talkMs / 1000,
    });
  }

  test("given calls talking and ringing, when the websocket is cut and the app cannot reconnect for 4 s, then the talk ends right, the leg answered meanwhile is connected, and a new call meets the fallback", async () => {
    await normalCall("before");
    const talking = ledger.phone();
    // it goes on through both faults below and ends after the app is back (its end is seen live)
    const talk = clientCalls({ from: talking, to: DID.solo, talkMs: 12_000, expectAnswer: true });
    await answered(110, 2);
    await sleep(1000);
    let since = stack.status.lastResyncAt;
    const cutAt = Date.now();
    proxy.cut();
    await resynced(since);
    const reconnectMs = Date.now() - cutAt;
    ledger.expect(talking, "during", { kind: "crm", userId: userOf(110), status: "200", durationSec: 12 });

    const ringing = ledger.phone();
    const slow = clientCalls({ from: ringing, to: DID.slow, talkMs: 2000, expectAnswer: true });
    await stack.phone(111).waitFor((s) => s.calls >= 1, 5000);
    since = stack.status.lastResyncAt;
    proxy.refuse(4000); // 111 answers 3 s after it rang, while the app is away
    await untilAppInactive();
    const fallback = ledger.phone();
    const rung = stack.phone(101).calls();
    await clientCalls({ from: fallback, to: DID.solo, talkMs: 500, expectAnswer: true });
    assert.equal(stack.phone(101).calls(), rung + 1, "the fallback phone took the call the app could not");
    ledger.expect(fallback, "during", { kind: "fallback" });
    await resynced(since);
    await slow;
    ledger.expect(ringing, "during", { kind: "crm", userId: userOf(111), status: "200", durationSec: 2 });
    await talk;

    await normalCall("after");
    const summary = await ledger.verify(stack);
    process.stdout.write(
      `# websocket cut: reconnected and resynced ${reconnectMs} ms after the cut; ${summary}\n`,
    );
  });

  test("given the websocket goes silent (the path dies, the socket stays open), then the ping notices, the app reconnects and a call whose StasisStart was lost is still routed", async () => {
    await normalCall("before");
    const since = stack.status.lastResyncAt;
    const silentAt = Date.now();
    proxy.silence();
    const back = resynced(since).then(() => Date.now() - silentAt);
    const lost = ledger.phone();
    await clientCalls({
      from: lost,
      to: DID.solo,
      talkMs: 1500,
      expectAnswer: true,
      hangupBeforeAnswerMs: 20_000,
    });
    const noticedMs = await back;
    ledger.expect(lost, "during", { kind: "crm", userId: userOf(110), status: "200", durationSec: 1.5 });
    await normalCall("after");
    const summary = await ledger.verify(stack);
    process.stdout.write(`# silent websocket: back within ${noticedMs} ms (ping 1 s); ${summary}\n`);
  });

  test("given another process takes the application name, then the app goes passive and says so, never takes it back by itself, and a restart takes it back", async () => {
    await normalCall("before");
    const tb = await getTestbed();
    const auth = "Basic " + Buffer.from(`${tb.ari.user}:${tb.ari.password}`).toString("base64");
    const other = new WebSocket(`${tb.ari.url.replace(/^http/, "ws")}/ari/events?app=${tb.ari.app}`, {
      headers: { authorization: auth },
    });
    await new Promise((resolve, reject) => other.once("open", resolve).once("error", reject));
    await until("the app to see it was replaced", () => stack.status.state === "replaced");
    const report = await stack.appStatus();
    assert.equal(report.app.state, "replaced");
    assert.equal(report.status, "error");
    assert.ok(
      report.problems.some((p) => p.includes("taken over")),
      `${report.problems}`,
    );
    other.close();
    await untilAppInactive();
    await sleep(3000);
    assert.equal(stack.status.state, "replaced", "it does not take the name back by itself");
    const orphan = ledger.phone();
    await clientCalls({ from: orphan, to: DID.solo, talkMs: 500, expectAnswer: true });
    ledger.expect(orphan, "during", { kind: "fallback" });
    await stack.stopApp();
    await stack.startApp();
    await normalCall("after");
    const summary = await ledger.verify(stack);
    process.stdout.write(`# application replaced: passive until restarted; ${summary}\n`);
  });
});
