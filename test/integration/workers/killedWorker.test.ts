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
    await h.start({ workers: { concurrency: 5, jobBackoffMs: 100, jobLockMs: 2_000 } });
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
      20_000,
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
