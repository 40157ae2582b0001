import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import type { SoakResult } from "../../../soak/run.ts";
import { waitForExclusiveAri } from "../../support/e2eAriGuard.ts";

/**
 * Keeps the soak harness from rotting: `npm run soak` for a handful of calls (one of every kind, an
 * attended transfer by linphonec included) on the real Asterisk, the app and two workers as child
 * processes, the emulator in the standard plan. Its report must have its shape, every call must be in
 * the CRM once, and every answered call recorded. Whether the CRM's user, status and duration match
 * the phones is the soak's own verdict (exit 0 or 1) and is not asserted here: on a loaded machine
 * the app's late time stamps make durations wrong (soak/README.md), which the soak must report, not
 * this test hide or fail on.
 */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

interface Report {
  soak: SoakResult;
  met: Record<string, boolean>;
  correct: boolean;
}

function runSoak(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--import", "tsx", "soak/main.ts", ...args], { cwd: REPO });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("exit", (code) => done({ code, stdout, stderr }));
  });
}

test(
  "given 8 soak calls at 2/s, then the report has its shape and every call is in the CRM once",
  { timeout: 180_000 },
  async () => {
    await waitForExclusiveAri();
    const { code, stdout, stderr } = await runSoak([
      ...["--cps", "2", "--calls", "8", "--attended-every", "8", "--json"],
      ...["--http-port", "18177", "--emulator-port", "18191", "--settle-timeout-sec", "60"],
    ]);
    const lines = stdout.trim().split("\n");
    const why = `exit ${code}\n${stdout}\n${stderr.slice(-3000)}`;
    const report = JSON.parse(lines[lines.length - 1]!) as Report;
    const s = report.soak.summary;

    assert.match(stdout, /\| lost +\| 0 /, why);
    assert.match(stdout, /\| process +\| procs +\| CPU s/, why);
    assert.equal(s.placed, 8, why);
    assert.equal(s.notPlaced, 0, why);
    assert.equal(s.inCrm, 8, why);
    assert.equal(s.lost + s.doubled + s.noRecording, 0, why);
    assert.ok(s.answered >= 4 && s.recorded === s.answered, why);
    assert.equal(report.soak.attended.placed, 1, why);
    assert.equal(report.soak.attended.failed, 0, why);
    assert.equal(typeof s.hangupToCrmMs.p95, "number", why);
    assert.ok(s.cardMs.samples > 0 && typeof s.cardMs.p95 === "number", why);
    const names = report.soak.processes.map((p) => p.name);
    for (const name of ["app", "worker 1", "worker 2", "emulator", "asterisk", "redis", "sipp", "linphonec"])
      assert.ok(names.includes(name), `${name} missing from ${names.join(", ")}`);
    for (const p of report.soak.processes) assert.ok(p.peakRssMb > 0 && p.cpuSec >= 0, JSON.stringify(p));
    assert.equal(typeof report.soak.redis.mbPer1000Calls, "number");
    assert.ok((report.soak.redis.keysPerCall.call ?? 0) >= 1, JSON.stringify(report.soak.redis.keysPerCall));
    assert.ok(
      report.soak.portal.batches > 0 && report.soak.portal.uploads > 0,
      JSON.stringify(report.soak.portal),
    );
    assert.equal(report.correct, true, why);
    assert.equal(code, 0, why);
  },
);
