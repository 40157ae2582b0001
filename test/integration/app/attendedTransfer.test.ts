import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { operatorUasPort } from "../../../testbed/pjsipConfig.ts";
import { placeCall, startOperator, stopAll } from "../../support/sipp.ts";
import { getTestbed } from "../../support/testbed.ts";
import { assertSoundCall } from "./checks.ts";
import { ended, startApp, type AppUnderTest } from "./harness.ts";

/**
 * sipp cannot send a REFER with Replaces (it needs the second dialog's tags), so operator 101 is a
 * real soft-phone here: Debian's `linphonec` (TESTBED.md, "Attended transfer by a real soft-phone").
 * scripts/install-deps.sh installs it; without it this test fails rather than passing unseen.
 */
const hasLinphone = spawnSync("linphonec", ["--version"]).status === 0;

function startLinphone(port: number): { proc: ChildProcess; send(cmd: string): void; output(): string } {
  const home = mkdtempSync(join(tmpdir(), "itgrix-linphone-"));
  mkdirSync(join(home, ".local/share/linphone"), { recursive: true });
  const rc = join(home, "linphonerc");
  writeFileSync(rc, `[sip]\nsip_port=${port}\n[sound]\n`);
  const proc = spawn("linphonec", ["-a", "-c", rc], { env: { ...process.env, HOME: home } });
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const send = (cmd: string) => proc.stdin?.write(`${cmd}\n`);
  send("soundcard use files");
  send(`ports sip ${port}`);
  return { proc, send, output: () => out };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("attended transfer on the real Asterisk", () => {
  let app: AppUnderTest;
  let phone: ReturnType<typeof startLinphone> | undefined;
  before(async () => {
    assert.ok(hasLinphone, "linphonec is not installed (run scripts/install-deps.sh)");
    app = await startApp();
  });
  after(async () => {
    phone?.proc.kill();
    await stopAll();
    await app?.close();
  });

  test("given 101 talks with a client, when 101 consults 119 and transfers, then 119 talks with the client in the same call", async () => {
    const tb = await getTestbed();
    phone = startLinphone(operatorUasPort(101));
    await sleep(2000);
    const target = await startOperator({ extension: 119, behaviour: { answerAfterMs: 300 } });
    const caller = placeCall({ from: "74956660001", to: "4950000001", callerPort: 15074, talkMs: 14_000 });
    const talking = await app.waitForCall((c) => c.clientNumber === "74956660001" && c.phase === "talking");
    phone.send("pause 1");
    await sleep(1000);
    phone.send(`call sip:119@${tb.sip.host}:${tb.sip.port}`);
    await app.waitForCall((c) => c.originExtension === "101" && c.phase === "talking", 10_000);
    await sleep(1000);
    phone.send("transfer 1 --to-call 2");
    const result = await caller;
    assert.equal(result.answered, true);
    const call = await app.waitForCall((c) => c.callId === talking.callId && ended(c), 15_000);
    assert.deepEqual(
      call.transfers.map((t) => [t.kind, t.fromExtension, t.toExtension]),
      [["attended", "101", "119"]],
      phone.output().slice(-2000),
    );
    assert.deepEqual(
      call.conversations.map((c) => [c.extension, c.endReason]),
      [
        ["101", "transferred"],
        ["119", "hangup"],
      ],
    );
    assert.equal(call.hangupBy, "client");
    await assertSoundCall(app, call, {});
    const consult = await app.waitForCall((c) => c.originExtension === "101" && ended(c), 10_000);
    assert.equal(consult.direction, "internal");
    assert.equal(consult.conversations[0]?.endReason, "transferred");
    await target.waitFor((s) => s.remoteHangups >= 1, 10_000);
  });
});
