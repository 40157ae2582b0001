/**
 * Chaos: Redis replicated under Sentinel (one primary, one replica with AOF, three sentinels on the
 * testbed's loopback), the app (`app/main.ts`, a child process) and two workers configured with
 * `redis.sentinel`. The primary is killed with -9 while calls talk and ended calls wait undelivered
 * (the portal answers OVERLOAD_LIMIT: delivery is held); the sentinels promote the replica. App and
 * workers follow the new primary by themselves; every call is in the emulator's CRM exactly once,
 * finished right. Then the case asynchronous replication loses: the replication stream cut (a relay that
 * drops it), a new call's first write acknowledged by the primary only, the primary killed — the app,
 * which had not had that write confirmed by the replica (WAIT), writes it again to the new primary. Prints the failover times.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CallStore } from "../../../core/calls/callStore.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import { startSentinelSetup, type SentinelSetup } from "../../../testbed/redisSentinel.ts";
import { startCallWorker, type CallWorker } from "../../../workers/calls/callWorker.ts";
import { startStack, type Stack } from "../../support/stack.ts";
import { clientCalls, userOf } from "../e2e/expect.ts";
import { CallLedger, sleep, until } from "./ledger.ts";

const DID = { a: "4951750001", b: "4951750002", c: "4951750003", d: "4951750004" };
const OPERATOR = { a: 110, b: 111, c: 112, d: 113 } as const;
type Line = keyof typeof DID;

describe("chaos: Redis failover under Sentinel", () => {
  let dir: string;
  let redis: SentinelSetup;
  let stack: Stack;
  let secondWorker: CallWorker;
  const ledger = new CallLedger("7495175");

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "itgrix-redis-failover-"));
    redis = await startSentinelSetup({ dir, downAfterMs: 1000 });
    const group = (ext: number) => ({ strategy: "ringall" as const, members: [ext], groupTimeoutSec: 15 });
    stack = await startStack({
      appProcess: "child",
      groups: { a: group(OPERATOR.a), b: group(OPERATOR.b), c: group(OPERATOR.c), d: group(OPERATOR.d) },
      dids: Object.fromEntries(Object.entries(DID).map(([line, did]) => [did, { group: line }])),
      operators: Object.fromEntries(Object.values(OPERATOR).map((ext) => [ext, { answerAfterMs: 300 }])),
      config: {
        redis: {
          sentinel: { sentinels: redis.sentinels, masterName: redis.masterName },
          routingTimeoutMs: 1500,
          confirmTimeoutMs: 1000,
          ...(process.env.FAILOVER_CONFIRM_OFF ? { confirmReplicas: 0 } : {}),
        },
        bitrix: { hold: { probeMinMs: 500, probeMaxMs: 1500 } },
      },
    });
    secondWorker = await startCallWorker(stack.config, createLogger("worker-2", stack.config.log.level));
  });
  after(async () => {
    // A failed failover leaves no primary: the worker's close would wait for Redis for ever.
    await Promise.race([secondWorker?.close(), sleep(10_000)]);
    await stack?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const faults = (body: Record<string, unknown>) =>
    fetch(`${stack.emulator.url}/_emulator/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  /** A client calls `line`'s DID and talks `talkMs`; the call is expected in the CRM once. */
  function call(line: Line, phase: "before" | "during" | "after", talkMs: number): Promise<unknown> {
    const phone = ledger.phone();
    ledger.expect(phone, phase, {
      kind: "crm",
      userId: userOf(OPERATOR[line]),
      status: "200",
      durationSec: talkMs / 1000,
    });
    return clientCalls({ from: phone, to: DID[line], talkMs, expectAnswer: true });
  }

  const answered = (line: Line) => stack.phone(OPERATOR[line]).stats().answered;

  async function waitForAnswer(line: Line, before: number): Promise<void> {
    await stack.phone(OPERATOR[line]).waitFor((s) => s.answered > before, 10_000);
  }

  /** The app's call writes reach Redis again, with nothing left in the outbox. */
  async function appWritesSettled(): Promise<void> {
    await until(
      "the app's writes to reach the new primary",
      async () => {
        const writes = (await stack.appStatus().catch(() => undefined))?.redis.callWrites;
        return writes?.redisUp === true && writes.outbox === 0 && writes.pending === 0;
      },
      20_000,
    );
  }

  test("given the primary killed while calls talk and ended calls wait undelivered, then the replica takes over and every call reaches the CRM once", async () => {
    await call("a", "before", 1000);

    // Delivery held: ended calls wait in Redis (journals, jobs, the hold itself) when the primary dies.
    await faults({ overload: true });
    await Promise.all([call("b", "during", 1000), call("c", "during", 1000)]);
    await until(
      "both ended calls to wait undelivered",
      async () => (await secondWorker.undelivered()).undelivered >= 2,
    );

    const [a0, d0] = [answered("a"), answered("d")];
    const talking = [call("a", "during", 9000), call("d", "during", 9000)];
    await Promise.all([waitForAnswer("a", a0), waitForAnswer("d", d0)]);
    await sleep(1000);

    const primary = await redis.primary();
    const killedAt = Date.now();
    primary.killNow();
    const promoted = await redis.waitForFailover(primary.port);
    const failoverMs = Date.now() - killedAt;
    await appWritesSettled();
    const appBackMs = Date.now() - killedAt;
    assert.notEqual(promoted.port, primary.port);

    // The old primary comes back as a replica of the new one (as an admin would restart it).
    await redis.restart(primary);
    await Promise.all(talking); // both talks end after the failover
    await call("b", "after", 1000);
    await faults({ overload: false });

    const summary = await ledger.verify(stack);
    const failed = await stack.redis.zcard(stack.keys.failedCalls);
    assert.equal(failed, 0, "no call failed");
    process.stdout.write(
      `# redis failover: sentinels promoted the replica ${failoverMs} ms after the kill; the app's writes reached it ${appBackMs} ms after; ${summary}\n`,
    );
  });

  test("given replication cut and a new call's first write acknowledged by the primary alone, when the primary dies, then the app writes it again to the promoted replica and the call reaches the CRM", async () => {
    await appWritesSettled();
    const link = await redis.relayReplication();
    const primary = await redis.primary();
    const store = new CallStore(stack.redis, stack.keys);
    const known = new Set(await store.activeCallIds());
    link.cut(); // from here the primary acknowledges writes the replica never gets

    const phone = ledger.phone();
    ledger.expect(phone, "during", {
      kind: "crm",
      userId: userOf(OPERATOR.a),
      status: "200",
      durationSec: 4,
    });
    const talk = clientCalls({ from: phone, to: DID.a, talkMs: 4000, expectAnswer: true });
    // The call's first write (callStarted) is on the primary and the app routes the call; the app's
    // WAIT for it is still open (no replica confirms; confirmTimeoutMs 1 s) when the primary dies.
    // Without that WAIT the write would count as done, and every later event of the call would be
    // dropped by the promoted replica as "an event for an unknown call".
    await until(
      "the new call on the primary",
      async () => (await store.activeCallIds()).some((id) => !known.has(id)),
      10_000,
      5,
    );
    primary.killNow();
    await redis.waitForFailover(primary.port);
    await talk;
    await appWritesSettled();
    const summary = await ledger.verify(stack);
    process.stdout.write(`# lost-write failover: the call's first write was written again; ${summary}\n`);
  });
});
