import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { configSchema } from "../../../core/config/schema.ts";
import { redisKeys } from "../../../core/redis/keys.ts";
import { BitrixClient } from "../../../workers/bitrix/client.ts";
import { BitrixError } from "../../../workers/bitrix/errors.ts";
import { createWebhookAuth } from "../../../workers/bitrix/webhookAuth.ts";
import { createDelivery } from "../../../workers/delivery/delivery.ts";
import { DeliveryError } from "../../../workers/delivery/deliveryError.ts";
import { useRedis } from "../../support/redisServer.ts";
import { finishedCall } from "./harness.ts";

/**
 * What the client reports for each way a request can fail, on real sockets, and what the pipeline
 * does with it: only a request that never reached the wire is sent again. Every server here counts
 * the requests it received, so "not re-sent" is measured, not assumed.
 */

const redis = useRedis();
const servers: Server[] = [];
const children: ChildProcess[] = [];
const sockets: Socket[] = [];
after(async () => {
  for (const s of sockets) s.destroy();
  for (const c of children) c.kill("SIGKILL");
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** An HTTP server that reads each request whole, counts it, then lets `handler` answer (or not). */
async function portal(handler: Handler): Promise<{ url: string; received: () => number }> {
  let received = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      received++;
      handler(req, res, body);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/rest/1/secret/`, received: () => received };
}

/** A port nothing listens on (bound once, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * A listener whose connect never completes: a child listens with a backlog of 1 and is stopped
 * (SIGSTOP), a few connections fill its accept queue, and the kernel then drops further SYNs.
 */
async function stalledPort(): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      "-e",
      "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>console.log(s.address().port))",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  const port = await new Promise<number>((r) => child.stdout!.once("data", (d) => r(Number(String(d)))));
  child.kill("SIGSTOP");
  for (let i = 0; i < 4; i++) sockets.push(connect(port, "127.0.0.1").on("error", () => undefined));
  await new Promise((r) => setTimeout(r, 200));
  return port;
}

const client = (url: string, timeoutMs = 1500) =>
  new BitrixClient({ auth: createWebhookAuth(url), requestTimeoutMs: timeoutMs });

async function failureOf(url: string, timeoutMs?: number): Promise<BitrixError> {
  try {
    await client(url, timeoutMs).callBatch({ a: "user.get?ID=1" });
  } catch (err) {
    assert.ok(err instanceof BitrixError, String(err));
    return err;
  }
  throw new Error("the request did not fail");
}

const okBatch: Handler = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ result: { result: { a: [] }, result_error: [] }, time: {} }));
};

test("connection refused: CONNECT_FAILED, re-sendable", async () => {
  const e = await failureOf(`http://127.0.0.1:${await closedPort()}/rest/1/s/`);
  assert.equal(e.code, "CONNECT_FAILED");
  assert.equal(e.disposition, "retry");
});

test("a host name that does not resolve: CONNECT_FAILED, re-sendable", async () => {
  const e = await failureOf("http://portal.itgrix-test.invalid/rest/1/s/");
  assert.equal(e.code, "CONNECT_FAILED", e.message);
  assert.equal(e.disposition, "retry");
});

test("a connect that never completes: CONNECT_TIMEOUT, re-sendable (the request was never written)", async () => {
  // Warm the tracker up first: after one request seen on the wire, "not seen" is proof of not sent.
  const warm = await portal(okBatch);
  await client(warm.url).callBatch({ a: "user.get?ID=1" });
  const e = await failureOf(`http://127.0.0.1:${await stalledPort()}/rest/1/s/`, 800);
  assert.equal(e.code, "CONNECT_TIMEOUT", e.message);
  assert.equal(e.disposition, "retry");
});

const ambiguous: [string, Handler, string][] = [
  ["the connection reset after the request was read", (req) => req.socket.destroy(), "NETWORK"],
  ["no answer after the request was read", () => undefined, "TIMEOUT"],
  [
    "a 502 from a proxy",
    (_req, res) => res.writeHead(502, { "content-type": "text/html" }).end("<html>Bad Gateway</html>"),
    "HTTP_502",
  ],
  [
    "a 500 with the portal's error body",
    (_req, res) =>
      res
        .writeHead(500, { "content-type": "application/json" })
        .end('{"error":"INTERNAL_SERVER_ERROR","error_description":"x"}'),
    "INTERNAL_SERVER_ERROR",
  ],
  [
    "an HTML page with status 200",
    (_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>maintenance</html>"),
    "BAD_RESPONSE",
  ],
  [
    "a 200 JSON answer without the batch's sections",
    (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"result":[]}'),
    "BAD_RESPONSE",
  ],
  [
    "a 200 whose body is cut off",
    (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "400" });
      res.write('{"result":{"result":');
      setTimeout(() => res.socket?.destroy(), 20);
    },
    "NETWORK",
  ],
];

for (const [label, handler, code] of ambiguous) {
  test(`${label}: ${code}, ambiguous; the pipeline rejects the groups as ambiguous and sends nothing again`, async () => {
    const server = await portal(handler);
    const e = await failureOf(server.url, 600);
    assert.equal(e.code, code, e.message);
    assert.equal(e.disposition, "ambiguous");
    assert.equal(server.received(), 1);

    const config = configSchema.parse({
      bitrix: {
        plan: "box",
        batchWaitMs: 20,
        requestTimeoutMs: 600,
        retry: { baseDelayMs: 10, maxDelayMs: 50, maxAttempts: 5 },
      },
    });
    const delivery = createDelivery({
      config,
      redis: redis.redis,
      keys: redisKeys(`classify${process.pid}_${code}`),
      client: client(server.url, 600),
    });
    const outcomes = await Promise.allSettled([
      delivery.send(finishedCall(`amb-${code}-1`)),
      delivery.send(finishedCall(`amb-${code}-2`)),
    ]);
    await delivery.close();
    assert.equal(server.received(), 2, "one batch carried both groups, and it was not re-sent");
    for (const o of outcomes) {
      assert.equal(o.status, "rejected");
      const err = (o as PromiseRejectedResult).reason as DeliveryError;
      assert.ok(err instanceof DeliveryError);
      assert.equal(err.reason, "ambiguous");
      assert.equal(err.lastError.code, code);
    }
  });
}

test("given a portal that refuses connections and then listens, then the batch is re-sent and delivered", async () => {
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}/rest/1/secret/`;
  const config = configSchema.parse({
    bitrix: { plan: "box", batchWaitMs: 5, retry: { baseDelayMs: 100, maxDelayMs: 200, maxAttempts: 30 } },
  });
  const delivery = createDelivery({
    config,
    redis: redis.redis,
    keys: redisKeys(`classify${process.pid}_late`),
    client: client(url),
  });
  let received = 0;
  const sending = delivery.send({
    callId: "late",
    lane: "bulk",
    commands: [{ method: "user.get", params: {} }],
  });
  await new Promise((r) => setTimeout(r, 400));
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ result: { result: { c0_0: [{ ID: "1" }] }, result_error: [] }, time: {} }));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  const results = await sending;
  await delivery.close();
  assert.equal(received, 1, "the refused attempts never reached a server; the one that did was answered");
  assert.deepEqual(results, [{ ok: true, result: [{ ID: "1" }] }]);
  assert.ok(delivery.stats().lastSuccessAt);
});
