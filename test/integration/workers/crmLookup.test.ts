/**
 * The CRM lookup of manager-first routing against a real Redis and the emulator: the app's side
 * (RedisCrmLookups) and the workers' (LookupResponder over the delivery pipeline). What matters most:
 * the app's lookup resolves within its limit whatever is missing — no worker, Redis stopped — and a
 * request nobody waits for any more never reaches the portal.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { RedisCrmLookups } from "../../../app/routing/crmLookupClient.ts";
import { parseConfig } from "../../../core/config/loadConfig.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import { redisKeys } from "../../../core/redis/keys.ts";
import { startEmulator, type RunningEmulator } from "../../../emulator/server.ts";
import { LookupResponder } from "../../../workers/crmLookup/lookupResponder.ts";
import { createDelivery, type Delivery } from "../../../workers/delivery/index.ts";
import { startRedis, type TestRedis } from "../../support/redisServer.ts";

const logger = createLogger("test", "silent");

describe("CRM lookups between app and workers", () => {
  let server: TestRedis;
  let emulator: RunningEmulator;
  let redis: Redis;
  let delivery: Delivery;
  let lookups: RedisCrmLookups;
  const keys = redisKeys("tlookup");
  let config: ReturnType<typeof parseConfig>;
  let closed = false;

  before(async () => {
    server = await startRedis();
    emulator = await startEmulator({ plan: "box" });
    config = parseConfig({
      redis: { url: server.url, prefix: "tlookup" },
      bitrix: {
        auth: { type: "webhook", webhookUrl: `${emulator.url}/rest/1/demo-webhook-secret/` },
        plan: "box",
        batchWaitMs: 5,
        requestTimeoutMs: 4_000,
      },
      routing: { managerLookup: { cacheTtlSec: 300, missCacheTtlSec: 30 } },
      log: { level: "silent" },
    });
    // As the app's connection: commands wait for a reconnect instead of failing (the worst case).
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
    redis.on("error", () => undefined);
    delivery = createDelivery({ config, redis, keys, logger });
    lookups = new RedisCrmLookups(redis, keys, logger);
  });
  after(async () => {
    lookups?.close();
    if (!closed) await delivery?.close().catch(() => undefined);
    redis?.disconnect();
    await emulator?.close();
    await server?.stop();
  });

  const searches = async (): Promise<number> => {
    const res = await fetch(`${emulator.url}/_emulator/state`);
    const state = (await res.json()) as { requests: { method: string; commands?: string[] }[] };
    const names = state.requests.flatMap((r) => r.commands ?? [r.method]);
    return names.filter((m) => m.toLowerCase().includes("searchcrmentities")).length;
  };

  test("given no worker runs, then the lookup times out within its limit, and a worker started later drops the request unasked", async () => {
    const started = Date.now();
    const outcome = await lookups.lookup("+74951000001", 300);
    const took = Date.now() - started;
    assert.equal(outcome.kind, "timeout");
    assert.ok(took >= 290 && took < 500, `resolved after ${took} ms`);
    assert.equal(await redis.llen(keys.crmLookupRequests), 1, "the request waits in Redis");
    const responder = new LookupResponder({ config, redis, keys, delivery, logger });
    responder.start();
    const deadline = Date.now() + 5000;
    while ((await redis.llen(keys.crmLookupRequests)) > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await responder.close();
    assert.equal(await redis.llen(keys.crmLookupRequests), 0, "taken by the worker");
    assert.equal(await searches(), 0, "a request nobody waits for never reaches the portal");
  });

  test("given a worker, then a known caller's manager comes from the portal once and then from the cache", async () => {
    const responder = new LookupResponder({ config, redis, keys, delivery, logger });
    responder.start();
    try {
      const first = await lookups.lookup("+74951000001", 1500);
      assert.equal(first.kind, "answer", JSON.stringify(first));
      if (first.kind !== "answer") return;
      assert.equal(first.source, "worker");
      assert.deepEqual(first.lookup, {
        found: true,
        userId: 2,
        inner: "101",
        workStatus: "OPENED",
        entityType: "CONTACT",
        entityId: 10,
      });
      const second = await lookups.lookup("+74951000001", 1500);
      assert.equal(second.kind === "answer" && second.source, "cache");
      assert.equal(await searches(), 1);
      const warm = await lookups.lookup("+74951000002", 1500);
      assert.equal(warm.kind === "answer" && warm.lookup.userId, 3);
      assert.equal(await searches(), 2);
      process.stdout.write(
        `lookup through a worker: first ${first.ms} ms (cold), next ${warm.ms} ms; cached ${second.ms} ms\n`,
      );

      const miss = await lookups.lookup("+74959999999", 1500);
      assert.deepEqual(miss.kind === "answer" && miss.lookup, { found: false });
      const ttl = await redis.ttl(keys.crmLookupCache("+74959999999"));
      assert.ok(ttl > 0 && ttl <= 30, `a miss is cached for missCacheTtlSec (ttl ${ttl})`);
    } finally {
      await responder.close();
    }
  });

  test("given Redis is stopped, then the lookup still resolves within its limit", async () => {
    // The delivery pipeline is closed first: its close waits for Redis, which is the app's concern here.
    await delivery.close();
    closed = true;
    await server.stop();
    const started = Date.now();
    const outcome = await lookups.lookup("+74951000002", 300);
    const took = Date.now() - started;
    assert.notEqual(outcome.kind, "answer");
    assert.ok(took < 500, `resolved after ${took} ms (${outcome.kind})`);
  });
});
