/**
 * A call write counts as safe from a failover once replicas confirm it (WAIT); a reconnect during the
 * write means "verify it"; replicas that do not confirm on an unchanged connection slow writes down
 * once per few seconds, never each write.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import type { Redis } from "ioredis";
import { DEGRADED_RETRY_MS, ReplicaConfirm } from "../../../app/calls/replicaConfirm.ts";
import { createLogger } from "../../../core/logging/logger.ts";

class FakeConnection extends EventEmitter {
  waits = 0;
  constructor(public answer: () => Promise<number>) {
    super();
  }
  wait(): Promise<number> {
    this.waits++;
    return this.answer();
  }
}

function setup(replicas: number, answer: () => Promise<number>) {
  let now = 1_000_000;
  const conns = [new FakeConnection(answer), new FakeConnection(answer)];
  const confirm = new ReplicaConfirm({
    connections: conns as unknown as Redis[],
    replicas,
    logger: createLogger("test", "silent"),
    now: () => now,
  });
  return { conns, confirm, advance: (ms: number) => (now += ms) };
}

describe("ReplicaConfirm", () => {
  it("off (0 replicas): every write is confirmed without asking Redis", async () => {
    const { conns, confirm } = setup(0, async () => 0);
    assert.equal(await confirm.confirmed(confirm.mark()), true);
    assert.equal(conns[0]!.waits, 0);
  });

  it("confirmed when every connection's WAIT reaches the replicas", async () => {
    const { conns, confirm } = setup(1, async () => 1);
    assert.equal(await confirm.confirmed(confirm.mark()), true);
    assert.deepEqual(
      conns.map((c) => c.waits),
      [1, 1],
    );
    assert.equal(confirm.unconfirmed, 0);
  });

  it("a reconnect during the write (a failover) means verify, even when the new primary's WAIT answers", async () => {
    const { conns, confirm } = setup(1, async () => 1);
    const mark = confirm.mark();
    conns[0]!.emit("ready");
    assert.equal(await confirm.confirmed(mark), false);
  });

  it("a WAIT that fails (connection cut) and a reconnect: verify", async () => {
    let fail = true;
    const { conns, confirm } = setup(1, async () => {
      if (fail) throw new Error("Connection is closed.");
      return 1;
    });
    const mark = confirm.mark();
    const pending = confirm.confirmed(mark);
    conns[1]!.emit("ready");
    assert.equal(await pending, false);
    fail = false;
    assert.equal(await confirm.confirmed(confirm.mark()), true);
  });

  it("replicas too slow on an unchanged connection: the write goes on, and WAIT rests for a while", async () => {
    const { conns, confirm, advance } = setup(1, async () => 0);
    assert.equal(await confirm.confirmed(confirm.mark()), true);
    assert.equal(confirm.degraded, true);
    assert.equal(await confirm.confirmed(confirm.mark()), true);
    assert.equal(conns[0]!.waits, 1, "no second WAIT while degraded");
    assert.equal(confirm.unconfirmed, 2);
    const mark = confirm.mark();
    conns[0]!.emit("ready");
    assert.equal(await confirm.confirmed(mark), false, "a reconnect is verified while degraded too");
    advance(DEGRADED_RETRY_MS);
    conns.forEach((c) => (c.answer = async () => 1));
    assert.equal(await confirm.confirmed(confirm.mark()), true);
    assert.equal(confirm.degraded, false);
    assert.equal(conns[0]!.waits, 2);
  });
});
