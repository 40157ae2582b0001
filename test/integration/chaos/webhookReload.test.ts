import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { signalChild, spawnTsInGroup, stopChild } from "../../../testbed/processGroup.ts";
import { Timeline } from "../../unit/workers/callBuilder.ts";
import { Harness, waitFor } from "../workers/workerHarness.ts";

/**
 * An admin's fix without a restart: a worker process (`npm run workers`) runs with a mistyped
 * webhook URL, delivery is held; the admin corrects the configuration file and sends SIGHUP; the
 * held calls are delivered once, and the process never stopped.
 */
const REPO = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..");

describe("chaos: a wrong webhook URL fixed by a configuration reload", () => {
  const h = new Harness();
  let dir: string;
  let worker: ChildProcess | undefined;

  before(async () => {
    await h.start();
    dir = await mkdtemp(join(tmpdir(), "itgrix-reload-"));
  });
  after(async () => {
    if (worker) await stopChild(worker, 10_000);
    await h.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const configWith = (secret: string) => ({
    redis: { url: h.config.redis.url, prefix: h.config.redis.prefix },
    bitrix: {
      auth: { type: "webhook", webhookUrl: `${h.emulator.url}/rest/1/${secret}/` },
      plan: "box",
      batchWaitMs: 5,
      requestTimeoutMs: 4_000,
      retry: { baseDelayMs: 50, maxDelayMs: 500, maxAttempts: 3 },
      // The schedule alone would probe only after a minute: the reload must not wait for it.
      hold: { probeMinMs: 60_000, probeMaxMs: 60_000 },
    },
    workers: { concurrency: 20, jobBackoffMs: 100, jobAttempts: 3 },
    recording: { spoolDir: h.spoolDir },
    log: { level: "info" },
  });

  it("given the held worker's configuration corrected, when it gets SIGHUP, then the held calls are delivered once", async () => {
    // The cluster ran before: its user directory snapshot is in Redis (a worker restarted during a
    // hold adopts it; it cannot fetch a new one while the portal refuses it).
    const portal = `127.0.0.1:${h.emulator.port}`;
    await h.redis.set(h.keys.userDirectory(portal), JSON.stringify({ at: Date.now(), users: { "101": 2 } }));
    const file = join(dir, "itgrix.json");
    const logFile = join(dir, "worker.log");
    await writeFile(file, JSON.stringify(configWith("mistyped-secret")));
    worker = spawnTsInGroup("workers/main.ts", [], {
      cwd: REPO,
      env: { ...process.env, ITGRIX_CONFIG: file },
      logFile,
    });
    const ids = ["1743000001.1", "1743000002.2", "1743000003.3"];
    for (const id of ids) {
      await h.publish(new Timeline(id).dial(1, "101").answer(3, "101").end(30).state(), "ended");
    }
    await waitFor(
      "the hold",
      async () => (await h.redis.hget(h.keys.deliveryHold(portal), "code")) ?? undefined,
      30_000,
    );
    assert.equal(await h.redis.hget(h.keys.deliveryHold(portal), "code"), "INVALID_CREDENTIALS");

    await writeFile(file, JSON.stringify(configWith("demo-webhook-secret")));
    signalChild(worker, "SIGHUP", false);
    const reloadedAt = Date.now();
    await waitFor(
      "the held calls",
      async () => (await Promise.all(ids.map((id) => h.isDelivered(id)))).every(Boolean),
      30_000,
    ).catch(async (err: Error) => {
      const tail = (await readFile(logFile, "utf8")).split("\n").slice(-12).join("\n");
      throw new Error(`${err.message}; the worker's log ends with:\n${tail}`);
    });
    process.stdout.write(`# held calls delivered ${Date.now() - reloadedAt} ms after SIGHUP\n`);
    assert.equal(await h.redis.exists(h.keys.deliveryHold(portal)), 0, "the hold cleared");
    assert.equal(worker.exitCode, null, "the worker kept running");
    const log = await readFile(logFile, "utf8");
    assert.match(log, /bitrix\.auth reloaded/);
    assert.ok(
      !log.includes("mistyped-secret") && !log.includes("demo-webhook-secret"),
      "no secret in the log",
    );
    const state = await h.emulatorState();
    for (const id of ids) assert.equal(state.calls.filter((c) => c.EXTERNAL_CALL_ID === id).length, 1, id);
  });
});
