import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createLogger } from "../../../core/logging/logger.ts";
import { startCallWorker, type CallWorker } from "../../../workers/calls/callWorker.ts";
import { Timeline } from "../../unit/workers/callBuilder.ts";
import { Harness, waitFor } from "./workerHarness.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** `npm run workers` as a child process with the harness's configuration. */
async function spawnWorkerProcess(h: Harness): Promise<ChildProcess> {
  const configFile = join(h.spoolDir, "workers.json");
  await writeFile(configFile, JSON.stringify(h.config));
  const child = spawn(process.execPath, ["--import", "tsx", "workers/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, ITGRIX_CONFIG: configFile },
    stdio: ["ignore", "ignore", "inherit"],
  });
  return child;
}

describe("a worker killed with -9 right after it sent register+finish", () => {
  const h = new Harness();
  let child: ChildProcess | undefined;
  let successor: CallWorker | undefined;

  before(async () => {
    await h.start({
      workers: { concurrency: 5, jobBackoffMs: 100, jobLockMs: 2_000, inFlightWindowMs: 4_000 },
    });
    // warm the shared directory snapshot, so the child does not fetch it under the slow portal below
    const warm = await startCallWorker(h.config, createLogger("test", "silent"));
    await waitFor("directory", async () => warm.directory.size > 0);
    await warm.close();
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await successor?.close();
    await h.stop();
  });

  it("given the batch ran at the portal but its answer was never stored, then a new worker neither duplicates nor loses the call", async () => {
    const callId = "1741999000.7";
    child = await spawnWorkerProcess(h);
    const exited = new Promise((resolve) => child!.once("exit", resolve));
    await h.configure({ commandCostMs: 1_500 }); // register at +1.5 s, finish at +3 s
    await h.publish(new Timeline(callId).dial(1, "104", "105").answer(4, "105").end(34).state(), "ended");

    await waitFor(
      "the register to run at the portal",
      async () => (await h.callsFor(callId)).length > 0,
      45_000, // the child compiles with tsx first: slow on a busy machine
    );
    child.kill("SIGKILL");
    await exited;
    const journalAtDeath = await h.journal(callId);
    assert.ok(journalAtDeath?.register.intentAt, "the dead worker recorded its intent");
    assert.equal(journalAtDeath?.register.doneAt, undefined, "…but never the answer");
    await h.configure({ commandCostMs: 0 });

    successor = await startCallWorker(h.config, createLogger("test", "silent"));
    await waitFor("delivery by the successor", () => h.isDelivered(callId), 20_000);

    const calls = await h.callsFor(callId);
    assert.equal(calls.length, 1, "exactly one call in the CRM");
    assert.equal(calls[0]!.state, "finished");
    assert.deepEqual(
      {
        user: calls[0]!.finish?.USER_ID,
        status: calls[0]!.finish?.STATUS_CODE,
        duration: calls[0]!.finish?.DURATION,
      },
      { user: 6, status: "200", duration: 30 },
    );
    const journal = await h.journal(callId);
    assert.equal(journal?.bxCallId, calls[0]!.CALL_ID);
    assert.ok(journal?.finish?.doneAt);
    const registers = (await h.emulatorState()).requests.filter((r) =>
      r.commands?.includes("telephony.externalcall.register"),
    );
    assert.equal(registers.length, 1, "register was sent once, the successor asked the statistics instead");
  });
});

describe("a worker killed with -9 while the portal runs a batch of several calls", () => {
  const h = new Harness();
  let child: ChildProcess | undefined;
  let successor: CallWorker | undefined;

  before(async () => {
    await h.start({
      workers: { concurrency: 20, jobBackoffMs: 100, jobLockMs: 2_000, inFlightWindowMs: 2_000 },
    });
    h.portalVia(h.emulator.url, { batchWaitMs: 50 }); // the calls below share one batch
    const warm = await startCallWorker(h.config, createLogger("test", "silent"));
    await waitFor("directory", async () => warm.directory.size > 0);
    await warm.close();
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await successor?.close();
    await h.stop();
  });

  it("given registers, finishes and register+finish groups half run, then a new worker delivers every call exactly once", async () => {
    const id = (n: number) => `1741999100.${n}`;
    const ringing = (n: number) => new Timeline(id(n)).dial(1, "104", "105").state();
    const ended = (n: number) => new Timeline(id(n)).dial(1, "104", "105").answer(4, "105").end(34).state();
    child = await spawnWorkerProcess(h);
    const exited = new Promise((resolve) => child!.once("exit", resolve));

    // 1, 2: registered while the portal is fast; their finish goes into the slow batch below
    for (const n of [1, 2]) await h.publish(ringing(n));
    await waitFor(
      "1 and 2 registered (the child compiles with tsx first: slow on a busy machine)",
      async () => (await h.journal(id(2)))?.bxCallId && (await h.journal(id(1)))?.bxCallId,
      45_000,
    );
    await h.configure({ commandCostMs: 400 });
    for (const n of [1, 2]) await h.publish(ended(n), "ended"); // finish only
    for (const n of [3, 4, 5]) await h.publish(ended(n), "ended"); // register + finish
    for (const n of [6, 7]) await h.publish(ringing(n)); // register + show

    await waitFor(
      "the portal in the middle of the batch",
      async () => {
        const calls = (await h.emulatorState()).calls;
        const some = [3, 4, 5].some((n) => calls.some((c) => c.EXTERNAL_CALL_ID === id(n)));
        const all = [1, 2, 3, 4, 5].every((n) =>
          calls.some((c) => c.EXTERNAL_CALL_ID === id(n) && c.state === "finished"),
        );
        return some && !all;
      },
      45_000, // the child compiles with tsx first: slow on a busy machine
    );
    child.kill("SIGKILL");
    await exited;
    const atDeath = await Promise.all([1, 2, 3, 4, 5].map((n) => h.journal(id(n))));
    const unanswered = atDeath.filter((j) => j?.finish?.intentAt && !j.finish.doneAt);
    assert.ok(unanswered.length > 0, "the dead worker left finishes without their answers");
    await h.configure({ commandCostMs: 0 });

    successor = await startCallWorker(h.config, createLogger("test", "silent"));
    for (const n of [6, 7]) await h.publish(ended(n), "ended");
    for (let n = 1; n <= 7; n++) await waitFor(`delivery of ${id(n)}`, () => h.isDelivered(id(n)), 30_000);

    for (let n = 1; n <= 7; n++) {
      const calls = await h.callsFor(id(n));
      assert.equal(calls.length, 1, `${id(n)}: exactly one call in the CRM`);
      assert.equal(calls[0]!.state, "finished");
      assert.deepEqual(
        {
          user: calls[0]!.finish?.USER_ID,
          status: calls[0]!.finish?.STATUS_CODE,
          duration: calls[0]!.finish?.DURATION,
        },
        { user: 6, status: "200", duration: 30 },
        id(n),
      );
      assert.equal(await h.redis.zscore(h.keys.failedCalls, id(n)), null);
    }
  });
});
