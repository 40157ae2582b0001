/**
 * The ARI adapter on the real Asterisk, through a TCP proxy that breaks the path: ari-client carries
 * the events, but its own reconnect never runs — only the adapter's loop makes a new client — so a
 * stopped adapter never comes back by itself and takes the application name from whoever holds it,
 * a refused Asterisk is retried quietly (no ping on a closed socket), and a cut is followed by exactly
 * one new connection.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { AriAdapter } from "../../../app/ari/adapter.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import { startTcpProxy, type TcpProxy } from "../../support/tcpProxy.ts";
import { ariAuthHeader, getTestbed, type TestbedInfo } from "../../support/testbed.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("ARI adapter over ari-client", () => {
  let tb: TestbedInfo;
  let proxy: TcpProxy;
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => void uncaught.push(err);

  before(async () => {
    tb = await getTestbed();
    proxy = await startTcpProxy(Number(new URL(tb.ari.url).port));
    process.on("uncaughtException", onUncaught);
  });
  after(async () => {
    process.off("uncaughtException", onUncaught);
    await proxy?.close();
  });

  function adapter(app: string): AriAdapter {
    return new AriAdapter({
      url: proxy.url,
      user: tb.ari.user,
      password: tb.ari.password,
      app,
      reconnectMaxDelayMs: 300,
      pingIntervalMs: 100,
      logger: createLogger("ari-test", process.env.LOG_LEVEL ?? "silent"),
    });
  }

  /** Another websocket holding `app`: it hears ApplicationReplaced if anything takes the name. */
  async function holder(app: string): Promise<{ replaced: () => boolean; close: () => void }> {
    const ws = new WebSocket(`${tb.ari.url.replace(/^http/, "ws")}/ari/events?app=${app}`, {
      headers: { authorization: ariAuthHeader(tb) },
    });
    let replaced = false;
    ws.on("message", (m) => {
      if ((JSON.parse(m.toString()) as { type: string }).type === "ApplicationReplaced") replaced = true;
    });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    return { replaced: () => replaced, close: () => ws.close() };
  }

  test("given the websocket is cut, then the adapter makes exactly one new connection and no ping throws while it is away", async () => {
    const a = adapter("itgrix-adapter-cut");
    let connects = 0;
    a.on("connected", () => connects++);
    a.start();
    await a.waitConnected(10_000);
    proxy.refuse(1500); // cut, then refused for 1.5 s: ~15 pings would fall on the dead socket
    await sleep(100);
    assert.equal(a.state, "reconnecting");
    await a.waitConnected(10_000);
    await sleep(1500);
    assert.equal(connects, 2, "one connect at start, one after the cut");
    assert.equal(a.state, "connected");
    await a.stop();
    assert.deepEqual(uncaught, []);
  });

  test("given the socket is cut and the adapter stopped, then no connection comes back by itself to take the application name", async () => {
    const app = "itgrix-adapter-stop";
    const a = adapter(app);
    a.start();
    await a.waitConnected(10_000);
    proxy.refuse(1000);
    await a.stop();
    await sleep(1200);
    // ari-client's own retry (100 ms doubling) would open a socket about 1.6 s and 3.2 s after the cut
    const other = await holder(app);
    await sleep(4000);
    other.close();
    assert.equal(other.replaced(), false, "a forgotten client took the application name back");
    assert.equal(a.state, "stopped");
    assert.deepEqual(uncaught, []);
  });
});
