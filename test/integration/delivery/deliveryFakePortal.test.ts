import { test } from "node:test";
import assert from "node:assert/strict";
import { configSchema } from "../../../core/config/schema.ts";
import { redisKeys } from "../../../core/redis/keys.ts";
import { BitrixClient, type BatchResponse } from "../../../workers/bitrix/client.ts";
import {
  AuthFailed,
  CommandFailed,
  NetworkError,
  RateLimited,
  RequestTimeout,
  ServerError,
} from "../../../workers/bitrix/errors.ts";
import { createWebhookAuth } from "../../../workers/bitrix/webhookAuth.ts";
import { createDelivery } from "../../../workers/delivery/delivery.ts";
import { DeliveryError } from "../../../workers/delivery/deliveryError.ts";
import type { CommandGroup } from "../../../workers/delivery/types.ts";
import { useRedis } from "../../support/redisServer.ts";

/**
 * The pipeline against a scripted portal (a BitrixClient whose callBatch is replaced) and a real
 * Redis: batching, ordering, parallelism and retries without any HTTP.
 */
const shared = useRedis();
let prefixSeq = 0;

type Script = (cmd: Record<string, string>, n: number) => Promise<BatchResponse> | BatchResponse;

class ScriptedClient extends BitrixClient {
  readonly batches: Record<string, string>[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly script: Script) {
    super({ auth: createWebhookAuth("http://portal.invalid/rest/1/x/"), requestTimeoutMs: 1000 });
  }
  override async callBatch(cmds: Record<string, string>): Promise<BatchResponse> {
    this.batches.push(cmds);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.script(cmds, this.batches.length);
    } finally {
      this.inFlight--;
    }
  }
}

function okAll(cmd: Record<string, string>): BatchResponse {
  const result: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cmd)) result[k] = { echo: v };
  return { result, result_error: {}, result_total: {}, result_next: {}, result_time: {} };
}

function setup(client: BitrixClient, bitrix: Record<string, unknown> = {}) {
  const config = configSchema.parse({
    bitrix: {
      plan: "box",
      batchWaitMs: 20,
      parallelBatches: 4,
      retry: { baseDelayMs: 10, maxDelayMs: 50, maxAttempts: 3 },
      ...bitrix,
    },
  });
  return createDelivery({ config, redis: shared.redis, keys: redisKeys(`fake${prefixSeq++}`), client });
}

function group(callId: string, n: number, lane: "interactive" | "bulk" = "bulk"): CommandGroup {
  return {
    callId,
    lane,
    commands: Array.from({ length: n }, (_, i) => ({ method: "m.x", params: { CALL: callId, I: i } })),
  };
}

test("given 120 one-command groups, then they go in 3 batches of at most 50, each answered in order", async () => {
  const client = new ScriptedClient(okAll);
  const delivery = setup(client);
  const results = await Promise.all(
    Array.from({ length: 120 }, (_, i) => delivery.send(group(`call${i}`, 1))),
  );
  await delivery.close();
  assert.deepEqual(
    client.batches.map((b) => Object.keys(b).length),
    [50, 50, 20],
  );
  results.forEach((r, i) => {
    assert.equal(r.length, 1);
    assert.ok(r[0]!.ok);
    assert.match(JSON.stringify(r[0]), new RegExp(`CALL=call${i}&`));
  });
});

test("given a group of 51 commands, then send rejects with invalid_group", async () => {
  const delivery = setup(new ScriptedClient(okAll));
  await assert.rejects(
    delivery.send(group("big", 51)),
    (e: unknown) => e instanceof DeliveryError && e.reason === "invalid_group",
  );
  await delivery.close();
});

test("given parallelBatches 1 vs 4, then at most that many batches are in flight", async () => {
  for (const parallel of [1, 4]) {
    const client = new ScriptedClient(async (cmd) => {
      await new Promise((r) => setTimeout(r, 50));
      return okAll(cmd);
    });
    const delivery = setup(client, { parallelBatches: parallel, batchMaxCommands: 5 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => delivery.send(group(`c${i}`, 1))));
    await delivery.close();
    assert.equal(client.maxInFlight, parallel);
  }
});

test("given two groups of one call, then the second waits for the first to be answered", async () => {
  const order: string[] = [];
  const client = new ScriptedClient(async (cmd) => {
    order.push(Object.values(cmd).join("|"));
    await new Promise((r) => setTimeout(r, 30));
    return okAll(cmd);
  });
  const delivery = setup(client, { batchWaitMs: 0 });
  const a = delivery.send({ callId: "X", lane: "bulk", commands: [{ method: "first", params: {} }] });
  const b = delivery.send({ callId: "X", lane: "interactive", commands: [{ method: "second", params: {} }] });
  await Promise.all([a, b]);
  await delivery.close();
  assert.deepEqual(order, ["first", "second"]);
});

test("given a connection refused before sending, then a rate limit, then the batch is re-sent and delivered", async () => {
  const client = new ScriptedClient((cmd, n) => {
    if (n <= 2) throw n === 1 ? new NetworkError("ECONNREFUSED", false) : new RateLimited();
    return okAll(cmd);
  });
  const delivery = setup(client);
  const [r] = await Promise.all([delivery.send(group("a", 2))]);
  assert.equal(r!.length, 2);
  assert.equal(client.batches.length, 3);
  assert.equal(delivery.stats().lastErrorCode, "QUERY_LIMIT_EXCEEDED");
  assert.ok(delivery.stats().lastSuccessAt);
  await delivery.close();
});

test("given failures beyond maxAttempts, then every group of the batch rejects with the last error", async () => {
  const client = new ScriptedClient(() => {
    throw new NetworkError("down", false);
  });
  const delivery = setup(client);
  const outcomes = await Promise.allSettled([delivery.send(group("a", 1)), delivery.send(group("b", 1))]);
  await delivery.close();
  assert.equal(client.batches.length, 3);
  for (const o of outcomes) {
    assert.equal(o.status, "rejected");
    const err = (o as PromiseRejectedResult).reason as DeliveryError;
    assert.equal(err.reason, "retries_exhausted");
    assert.equal(err.lastError.code, "CONNECT_FAILED");
  }
});

for (const [label, error] of [
  ["a reset after sending", () => new NetworkError("socket hang up")],
  ["a timeout after sending", () => new RequestTimeout(1000)],
  ["a 502", () => new ServerError("HTTP_502", "Bad Gateway", 502)],
  ["an unreadable 200", () => new ServerError("BAD_RESPONSE", "answer is not JSON", 200)],
] as const) {
  test(`given ${label}, then every group of the batch rejects as ambiguous and nothing is re-sent`, async () => {
    const client = new ScriptedClient(() => {
      throw error();
    });
    const delivery = setup(client);
    const outcomes = await Promise.allSettled([delivery.send(group("a", 2)), delivery.send(group("b", 1))]);
    await delivery.close();
    assert.equal(client.batches.length, 1, "sent once, never again");
    for (const o of outcomes) {
      assert.equal(o.status, "rejected");
      const err = (o as PromiseRejectedResult).reason as DeliveryError;
      assert.equal(err.reason, "ambiguous");
      assert.equal(err.lastError.code, error().code);
    }
  });
}

test("given a refusal of the whole portal (INVALID_CREDENTIALS), then the groups reject as held, not failed", async () => {
  const client = new ScriptedClient(() => {
    throw new AuthFailed("INVALID_CREDENTIALS", "Invalid request credentials", 401);
  });
  const delivery = setup(client);
  await assert.rejects(
    delivery.send(group("a", 1)),
    (e: unknown) => e instanceof DeliveryError && e.reason === "held" && e.lastError.retryable,
  );
  assert.equal(client.batches.length, 1);
  await delivery.close();
});

test("given a permanent error of the whole request, then it is not retried", async () => {
  const client = new ScriptedClient(() => {
    throw new CommandFailed("ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded", 400);
  });
  const delivery = setup(client);
  await assert.rejects(
    delivery.send(group("a", 1)),
    (e: unknown) => e instanceof DeliveryError && e.reason === "permanent_error",
  );
  assert.equal(client.batches.length, 1);
  await delivery.close();
});

test("given a failing command, then only its group sees it, and its dependants fail too", async () => {
  const client = new ScriptedClient((cmd) => {
    const res = okAll(cmd);
    for (const [k, v] of Object.entries(cmd)) {
      if (v.startsWith("register") && v.includes("bad")) {
        delete res.result[k];
        res.result_error[k] = {
          error: "ERROR_CORE",
          error_description: "User is not found or is not active",
        };
      }
      if (v.includes("%24result")) {
        const ref = decodeURIComponent(v.split("CALL_ID=")[1]!).match(/^\$result\[(\w+)\]/)![1]!;
        if (!(ref in res.result)) {
          delete res.result[k];
          res.result_error[k] = { error: "ERROR_CORE", error_description: "Call is not found" };
        }
      }
    }
    return res;
  });
  const delivery = setup(client);
  const call = (user: string): CommandGroup => ({
    callId: user,
    lane: "bulk",
    commands: [
      { method: "register", params: { USER: user } },
      { method: "finish", params: { CALL_ID: { $ref: 0, path: ["CALL_ID"] } } },
    ],
  });
  const [good, bad, good2] = await Promise.all([
    delivery.send(call("ok1")),
    delivery.send(call("bad")),
    delivery.send(call("ok2")),
  ]);
  await delivery.close();
  assert.equal(client.batches.length, 1);
  assert.ok(good!.every((r) => r.ok) && good2!.every((r) => r.ok));
  assert.equal(!bad![0]!.ok && bad![0]!.error.code, "ERROR_CORE");
  assert.equal(!bad![1]!.ok && bad![1]!.error.code, "DEPENDENCY_FAILED");
});

test("given a closed delivery, then send rejects", async () => {
  const delivery = setup(new ScriptedClient(okAll));
  await delivery.close();
  await assert.rejects(
    delivery.send(group("a", 1)),
    (e: unknown) => e instanceof DeliveryError && e.reason === "closed",
  );
});

test("given a method near its operating limit, then its next batch is slowed down, others are not", async () => {
  const client = new ScriptedClient((cmd) => {
    const res = okAll(cmd);
    for (const [k, v] of Object.entries(cmd)) {
      // 90 % of a 10 s limit, the oldest bucket leaves the window in 2 s: wait about half of that.
      const operating = v.startsWith("slow.method") ? 9 : 0;
      res.result_time[k] = {
        operating,
        operating_reset_at: Date.now() / 1000 + 2,
        finish: Date.now() / 1000,
      };
    }
    return res;
  });
  const delivery = setup(client, { operatingLimitSec: 10, batchWaitMs: 0 });
  const one = (callId: string, method: string): CommandGroup => ({
    callId,
    lane: "bulk",
    commands: [{ method, params: {} }],
  });
  await delivery.send(one("a", "slow.method"));
  const t0 = Date.now();
  await delivery.send(one("b", "fast.method"));
  const fastTook = Date.now() - t0;
  await delivery.send(one("c", "slow.method"));
  const slowTook = Date.now() - t0;
  await delivery.close();
  assert.ok(fastTook < 300, `fast method waited ${fastTook} ms`);
  assert.ok(slowTook >= 700 && slowTook < 2500, `slow method waited ${slowTook} ms`);
});

test("given a batch answer whose handling throws, then every group of the batch still settles (internal_error)", async () => {
  // register answers with a CALL_ID that cannot be read, finish was refused by a limit: re-sending
  // finish with register's CALL_ID (planLimitedRetry) throws while the answer is handled.
  const client = new ScriptedClient((cmd) => {
    const res = okAll(cmd);
    for (const [k, v] of Object.entries(cmd)) {
      if (v.startsWith("register") && v.includes("broken")) {
        res.result[k] = Object.defineProperty({}, "CALL_ID", {
          enumerable: true,
          get: () => {
            throw new Error("unreadable answer");
          },
        });
      }
      if (v.startsWith("finish") && v.includes("%24result")) {
        delete res.result[k];
        res.result_error[k] = { error: "QUERY_LIMIT_EXCEEDED", error_description: "Too many requests" };
      }
    }
    return res;
  });
  const delivery = setup(client);
  const call = (id: string): CommandGroup => ({
    callId: id,
    lane: "bulk",
    commands: [
      { method: "register", params: { CALL: id } },
      { method: "finish", params: { CALL_ID: { $ref: 0, path: ["CALL_ID"] } } },
    ],
  });
  const within = <T>(p: Promise<T>): Promise<T | "pending"> =>
    Promise.race([p, new Promise<"pending">((r) => setTimeout(() => r("pending"), 2_000).unref())]);
  const [broken, other] = await Promise.all([
    within(delivery.send(call("broken")).catch((e: unknown) => e)),
    within(delivery.send({ callId: "other", lane: "bulk", commands: [{ method: "m.x", params: {} }] })),
  ]);
  await delivery.close();
  assert.equal(client.batches.length, 1, "both groups went in one batch");
  assert.ok(broken instanceof DeliveryError, `the broken group settles: ${String(broken)}`);
  assert.equal(broken.reason, "internal_error");
  assert.equal(broken.lastError.code, "INTERNAL");
  assert.match(broken.lastError.description, /unreadable answer/);
  assert.notEqual(other, "pending", "the other group of the batch settles too");
  assert.ok(Array.isArray(other) && other[0]!.ok);
});
