/**
 * ARI REST requests in flight are capped (`ari.maxConcurrentRequests`): a burst of calls never opens
 * more HTTP sessions than Asterisk's `sessionlimit` allows. A local HTTP server stands in for Asterisk's
 * and counts the requests it holds at once.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { AriRest } from "../../../app/ari/rest.ts";

describe("AriRest concurrency", () => {
  let server: Server;
  let url = "";
  let inFlight = 0;
  let peak = 0;
  /** While held, the server answers nothing: the requests pile up as far as the client lets them. */
  let held: (() => void)[] | undefined;

  before(async () => {
    server = createServer((req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      const answer = () => {
        inFlight--;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ id: req.url }));
      };
      if (held) held.push(answer);
      else setTimeout(answer, 2);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Sends `n` requests at once, holds the answers until the pile stops growing, then lets all through. */
  async function burst(rest: AriRest, n: number): Promise<number> {
    peak = 0;
    held = [];
    const ids = Array.from({ length: n }, (_, i) => `c${i}`);
    const all = Promise.all(ids.map((id) => rest.getChannel(id)));
    let seen = -1;
    while (seen !== inFlight) {
      seen = inFlight;
      await new Promise((r) => setTimeout(r, 300));
    }
    const answers = held;
    held = undefined;
    for (const answer of answers) answer();
    const got = await all;
    assert.deepEqual(
      got.map((c) => c.id),
      ids.map((id) => `/ari/channels/${id}`),
      "every request answered, each with its own answer",
    );
    return peak;
  }

  test("given 120 requests at once and a cap of 5, then Asterisk never holds more than 5 and all are answered", async () => {
    const rest = new AriRest(url, "u", "p", 10_000, 5);
    assert.equal(await burst(rest, 120), 5);
    assert.deepEqual(rest.gate.load, { running: 0, waiting: 0 });
  });

  test("given no cap configured, then the default keeps a burst of 200 at 50", async () => {
    assert.equal(await burst(new AriRest(url, "u", "p"), 200), 50);
  });

  test("a failed request frees its slot", async () => {
    const rest = new AriRest("http://127.0.0.1:1", "u", "p", 1000, 2);
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => rest.listChannels()));
    assert.ok(results.every((r) => r.status === "rejected"));
    assert.deepEqual(rest.gate.load, { running: 0, waiting: 0 });
  });
});
