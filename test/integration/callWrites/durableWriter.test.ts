/**
 * The app's call writes against a real Redis (a private one with AOF, stopped and paused on purpose):
 * compare-and-set with re-apply, the outbox while Redis is away and its replay after a crash, and a new
 * call given up within the routing budget whose late write is removed again.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { ControlStore, type CallControl } from "../../../app/calls/control.ts";
import { DurableWriter, type CallWrite } from "../../../app/calls/durableWriter.ts";
import { Outbox } from "../../../app/calls/outbox.ts";
import { RedisHealth } from "../../../app/calls/redisHealth.ts";
import { StateWriter } from "../../../app/calls/stateWriter.ts";
import { CallStore } from "../../../core/calls/callStore.ts";
import { applyCallEvent } from "../../../core/calls/reducer.ts";
import type { CallEvent } from "../../../core/calls/types.ts";
import { LIFECYCLE_QUEUE, lifecycleJobId } from "../../../core/jobs/lifecycle.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import { redisKeys } from "../../../core/redis/keys.ts";
import { startRedisServer, type RedisServer } from "../../../testbed/redisServer.ts";

const logger = createLogger("writer-test", process.env.LOG_LEVEL ?? "silent");
const TIMEOUT_MS = 300;

/** One app process's writer on its own Redis connection (a restart = a new one). */
class WriterProcess {
  readonly redis: Redis;
  readonly queueConnection: Redis;
  readonly queue: Queue;
  readonly health: RedisHealth;
  readonly writer: DurableWriter;
  readonly store: CallStore;

  constructor(url: string, prefix: string, outboxFile: string) {
    const keys = redisKeys(prefix);
    this.redis = new Redis(url, { maxRetriesPerRequest: null });
    this.redis.on("error", () => undefined);
    this.queueConnection = this.redis.duplicate();
    this.queueConnection.on("error", () => undefined);
    this.queue = new Queue(LIFECYCLE_QUEUE, { connection: this.queueConnection, prefix });
    this.queue.on("error", () => undefined);
    this.health = new RedisHealth(this.redis, logger);
    this.store = new CallStore(this.redis, keys);
    const controls = new ControlStore(this.redis, keys);
    const state = new StateWriter({
      store: this.store,
      controls,
      queue: this.queue,
      apply: applyCallEvent,
      logger,
    });
    const outbox = new Outbox(outboxFile);
    this.writer = new DurableWriter({ state, health: this.health, outbox, timeoutMs: TIMEOUT_MS, logger });
  }

  /** Starts the writer once Redis answers (an app started while Redis is away hands calls off). */
  async open(): Promise<number> {
    await this.redis.ping();
    return this.writer.restore();
  }

  /**
   * As a process death while Redis is away: every unconfirmed write is already in the outbox (so
   * closing the writer adds nothing to it), the connections just go.
   */
  crash(): void {
    const before = this.writer.stats();
    this.writer.close();
    assert.equal(before.pending, before.outbox, "everything unconfirmed was on disk already");
    this.redis.disconnect();
    this.queueConnection.disconnect();
  }

  async close(): Promise<void> {
    await this.writer.idle();
    this.writer.close();
    await this.queue.close();
    this.redis.disconnect();
    this.queueConnection.disconnect();
  }
}

const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 10, 0, s)).toISOString();

function control(callId: string, rev: number): CallControl {
  return {
    callId,
    rev,
    direction: "inbound",
    clientAnswered: false,
    clientNumber: "7495",
    lineNumber: "1",
    legs: {},
    aux: [],
    legSeq: 0,
  };
}

function started(callId: string): CallWrite {
  const event: CallEvent = {
    type: "callStarted",
    at: at(0),
    callId,
    direction: "inbound",
    clientNumber: "74951112233",
    lineNumber: "4950000001",
  };
  return { control: control(callId, 1), channels: [`${callId}-client`], events: [event] };
}

describe("durable call writes on a real Redis", () => {
  let dir: string;
  let server: RedisServer;
  let admin: Redis;
  let seq = 0;
  const prefix = () => `t-writer-${++seq}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "itgrix-writer-"));
    server = await startRedisServer({ appendonly: true, dir });
    admin = new Redis(server.url, { maxRetriesPerRequest: null });
    admin.on("error", () => undefined);
  });
  after(async () => {
    admin?.disconnect();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("given two writers of one call, when one stores first, then the other's write is refused, re-applied on the stored state, and no fact is lost", async () => {
    const p = prefix();
    const a = new WriterProcess(server.url, p, join(dir, `${p}-a.jsonl`));
    const b = new WriterProcess(server.url, p, join(dir, `${p}-b.jsonl`));
    await a.open();
    await b.open();
    const callId = "cas.1";
    assert.equal(await a.writer.start(callId, started(callId)), "started");
    await a.writer.write(callId, {
      events: [{ type: "legDialled", at: at(1), legId: "L1", extension: "101", purpose: "group" }],
    });
    // b reads the call (version 2) and stores a fact; a still believes version 2 is stored
    b.writer.remember((await b.store.get(callId))!);
    await b.writer.write(callId, {
      events: [{ type: "legDialled", at: at(2), legId: "L2", extension: "102", purpose: "group" }],
    });
    await a.writer.write(callId, { events: [{ type: "legRinging", at: at(3), legId: "L1" }] });
    const state = (await a.store.get(callId))!;
    assert.equal(state.version, 4);
    assert.deepEqual(
      state.legs.map((l) => [l.legId, l.ringingAt ?? null]),
      [
        ["L1", at(3)],
        ["L2", null],
      ],
    );
    const jobs = await a.queue.getJobs(["waiting", "delayed", "prioritized"]);
    assert.deepEqual(jobs.map((j) => j.id).sort(), [1, 2, 3, 4].map((v) => lifecycleJobId(callId, v)).sort());
    assert.equal(await a.store.put(state, 4), true, "re-sending the stored write is a success");
    assert.equal(await a.store.put({ ...state, version: 5 }, 3), false, "a stale expectation is refused");
    await a.close();
    await b.close();
  });

  test("given Redis stopped, when a live call's events come, then the writer answers at once from the outbox; after a crash and Redis back, the replay stores them once, in order", async () => {
    const p = prefix();
    const outboxFile = join(dir, `${p}.jsonl`);
    const first = new WriterProcess(server.url, p, outboxFile);
    await first.open();
    const callId = "outage.1";
    assert.equal(await first.writer.start(callId, started(callId)), "started");
    await first.writer.write(callId, {
      events: [{ type: "legDialled", at: at(1), legId: "L1", extension: "101", purpose: "group" }],
    });

    await server.stop();
    await waitUntil(() => !first.health.up, "the writer to see Redis gone");
    const t0 = Date.now();
    await first.writer.write(callId, {
      control: control(callId, 7),
      events: [{ type: "legRinging", at: at(2), legId: "L1" }],
    });
    await first.writer.write(callId, { events: [{ type: "legAnswered", at: at(5), legId: "L1" }] });
    assert.ok(Date.now() - t0 < 100, `writes during the outage waited ${Date.now() - t0} ms`);
    assert.deepEqual(first.writer.stats().outbox, 2);
    assert.equal(
      await first.writer.start("outage.new", started("outage.new")),
      "unreachable",
      "a new call is not taken",
    );
    const spooled = readFileSync(outboxFile, "utf8").trim().split("\n");
    assert.equal(spooled.length, 2, "both writes are on disk before the call goes on");
    assert.deepEqual(JSON.parse(spooled[0]!).versions, [3]);
    assert.deepEqual(JSON.parse(spooled[1]!).versions, [4]);
    first.crash();

    server = await startRedisServer({ appendonly: true, dir, port: server.port });
    const second = new WriterProcess(server.url, p, outboxFile);
    assert.equal(await second.open(), 2);
    await second.writer.idle();
    const state = (await second.store.get(callId))!;
    assert.equal(state.version, 4, "stored once each, after the two stored before the outage");
    assert.equal(state.legs[0]?.ringingAt, at(2));
    assert.equal(state.legs[0]?.answeredAt, at(5));
    assert.equal((await new ControlStore(second.redis, redisKeys(p)).load(callId))?.rev, 7);
    assert.equal(readFileSync(outboxFile, "utf8"), "", "the outbox is emptied once Redis has it all");
    assert.equal(await second.redis.exists(redisKeys(p).call("outage.new")), 0);
    assert.ok(
      await second.queue.getJob(lifecycleJobId(callId, 4)),
      "the replayed version's job is published",
    );

    // a crash after Redis took the writes but before the outbox was emptied: the replay changes nothing
    writeFileSync(outboxFile, spooled.join("\n") + "\n");
    await second.close();
    const third = new WriterProcess(server.url, p, outboxFile);
    await third.open();
    await third.writer.idle();
    assert.equal(
      (await third.store.get(callId))!.version,
      4,
      "replaying stored writes applies nothing twice",
    );
    await third.close();
  });

  test("given Redis hangs (clients paused), when a new call starts, then it is given up within the budget, later calls at once, and its late write is removed when Redis answers", async () => {
    const p = prefix();
    const w = new WriterProcess(server.url, p, join(dir, `${p}.jsonl`));
    await w.open();
    await admin.client("PAUSE", 1500, "ALL");
    const t0 = Date.now();
    assert.equal(await w.writer.start("hung.1", started("hung.1")), "unreachable");
    const waited = Date.now() - t0;
    assert.ok(waited >= TIMEOUT_MS - 20 && waited < TIMEOUT_MS + 250, `gave up after ${waited} ms`);
    const t1 = Date.now();
    assert.equal(await w.writer.start("hung.2", started("hung.2")), "unreachable");
    assert.ok(Date.now() - t1 < 20, "while Redis is known to hang, the next call does not wait");
    await w.writer.idle();
    const keys = redisKeys(p);
    assert.equal(
      await w.redis.exists(keys.call("hung.1"), keys.appControl("hung.1")),
      0,
      "late write removed",
    );
    assert.equal(await w.redis.zscore(keys.activeCalls, "hung.1"), null);
    assert.equal(await w.redis.hget(keys.appChannels, "hung.1-client"), null);
    assert.equal(await w.queue.getJob(lifecycleJobId("hung.1", 1)), undefined, "no job for a call given up");
    assert.equal(w.health.up, true);
    assert.equal(
      await w.writer.start("hung.3", started("hung.3")),
      "started",
      "Redis answers again: calls are taken",
    );
    await w.close();
  });
});

async function waitUntil(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
