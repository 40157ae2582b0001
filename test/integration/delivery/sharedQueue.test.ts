import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { redisKeys } from "../../../core/redis/keys.ts";
import { DeliveryError } from "../../../workers/delivery/deliveryError.ts";
import {
  callsPerExternalId,
  control,
  deliveryFor,
  emulatorState,
  finishedCall,
  testConfig,
  uniquePrefix,
  useEmulatorAndRedis,
  type EmulatorState,
} from "./harness.ts";

/**
 * One shared command queue per portal: worker processes fill the same batches, so more processes
 * never mean more requests; a sender killed mid-batch loses nothing and doubles nothing. Real
 * processes (fixtures/deliveryProcess.ts), real Redis, the emulator.
 */

const setup = useEmulatorAndRedis();
const run = promisify(execFile);
const child = fileURLToPath(new URL("./fixtures/deliveryProcess.ts", import.meta.url));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill("SIGKILL");
});

function bitrixConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    bitrix: {
      auth: setup.webhook(),
      plan: "box",
      batchWaitMs: 50,
      retry: { baseDelayMs: 50, maxDelayMs: 500, maxAttempts: 30 },
      ...extra,
    },
  };
}

/** `processes` senders of `perProcess` calls each, started together; returns the batches the portal saw. */
async function sendFrom(processes: number, perProcess: number, name: string): Promise<EmulatorState> {
  const prefix = uniquePrefix(name);
  const since = (await emulatorState(setup.emulator.url)).now;
  const runs = Array.from({ length: processes }, (_, p) =>
    run(
      process.execPath,
      [
        "--import",
        "tsx",
        child,
        setup.redisUrl,
        prefix,
        JSON.stringify(bitrixConfig()),
        "send",
        `${name}-${p}`,
        String(perProcess),
      ],
      { timeout: 120_000 },
    ),
  );
  const go = new Redis(setup.redisUrl);
  await new Promise((r) => setTimeout(r, 1500)); // every process is up and waiting for the go
  await go.rpush(`${prefix}:test:go`, ...Array.from({ length: processes }, () => "go"));
  go.disconnect();
  const outputs = await Promise.all(runs);
  for (const o of outputs) {
    const summary = JSON.parse(o.stdout.trim().split("\n").pop()!) as { ok: number; rejected: object };
    assert.deepEqual(summary, { ok: perProcess, rejected: {} });
  }
  const state = await emulatorState(setup.emulator.url);
  return { ...state, requests: state.requests.filter((r) => r.at >= since) };
}

test("given 4 worker processes, then they fill the same batches: no more requests than 1 process, each call once", async () => {
  await control(setup.emulator.url, "config", { commandCostMs: 2 });
  const one = await sendFrom(1, 200, "one");
  const four = await sendFrom(4, 50, "four");
  const batches = (s: EmulatorState) => s.requests.filter((r) => r.method === "batch");
  const sizes = (s: EmulatorState) => batches(s).map((b) => b.batchSize ?? 0);
  assert.ok(
    batches(four).length <= batches(one).length,
    `4 processes: ${sizes(four)}; 1 process: ${sizes(one)}`,
  );
  assert.ok(batches(four).length <= 9, `400 commands in ${batches(four).length} batches: ${sizes(four)}`);
  const all = await emulatorState(setup.emulator.url);
  for (const name of ["one-0", "four-0", "four-1", "four-2", "four-3"]) {
    const counts = callsPerExternalId(all, `${name}-`);
    assert.equal(counts.size, name === "one-0" ? 200 : 50, name);
    assert.ok(
      [...counts.values()].every((n) => n === 1),
      `${name}: a call was registered twice`,
    );
  }
});

test("given the sending process killed while its batch is in flight, then its groups are neither lost nor doubled", async () => {
  const prefix = uniquePrefix("killed");
  const keys = redisKeys(prefix);
  const config = bitrixConfig({ batchWaitMs: 20 });
  // The process that will send: idle, it takes the sender lease first.
  const senderProcess = spawn(
    process.execPath,
    ["--import", "tsx", child, setup.redisUrl, prefix, JSON.stringify(config), "idle"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(senderProcess);
  await new Promise((r) => senderProcess.stdout!.once("data", r));
  const redis = new Redis(setup.redisUrl);
  const portal = `127.0.0.1:${setup.emulator.port}`;
  for (let i = 0; !(await redis.get(keys.deliverySender(portal))) && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(await redis.get(keys.deliverySender(portal)), "the child holds the sender lease");

  // Slow answers: the batch reaches the portal, runs, and the sender dies before its answer.
  await control(setup.emulator.url, "faults", { afterRun: "hang" });
  const owner = deliveryFor(setup.redisUrl, testConfig({ auth: setup.webhook() }), prefix, {
    senderLeaseMs: 1000,
  });
  const inFlight = Array.from({ length: 10 }, (_, i) => owner.delivery.send(finishedCall(`killed-a-${i}`)));
  const started = Date.now();
  while ((await emulatorState(setup.emulator.url)).requests.length === 0 && Date.now() - started < 10_000) {
    await new Promise((r) => setTimeout(r, 50));
  }
  senderProcess.kill("SIGKILL");
  await control(setup.emulator.url, "faults", { afterRun: null });
  // Sent after the kill, while the dead process still "holds" the lease: they wait in the queue.
  const later = Array.from({ length: 10 }, (_, i) => owner.delivery.send(finishedCall(`killed-b-${i}`)));

  const first = await Promise.allSettled(inFlight);
  const second = await Promise.allSettled(later);
  await owner.close();
  redis.disconnect();

  for (const o of first) {
    assert.equal(o.status, "rejected", "the killed batch's answer never came");
    const err = (o as PromiseRejectedResult).reason as DeliveryError;
    assert.equal(err.reason, "ambiguous");
    assert.equal(err.lastError.code, "SENDER_LOST");
  }
  for (const o of second) assert.equal(o.status, "fulfilled", String((o as PromiseRejectedResult).reason));
  const state = await emulatorState(setup.emulator.url);
  const a = callsPerExternalId(state, "killed-a-");
  const b = callsPerExternalId(state, "killed-b-");
  assert.equal(a.size, 10, "the batch in flight had run at the portal");
  assert.equal(b.size, 10);
  assert.ok(
    [...a.values(), ...b.values()].every((n) => n === 1),
    "nothing sent twice",
  );
  const batches = state.requests.filter((r) => r.method === "batch");
  assert.equal(
    batches.length,
    2,
    `one batch before the kill, one after; the lost one was not re-sent: ${JSON.stringify(batches.map((b) => [b.batchSize, b.status, b.answerLost]))}`,
  );
});
