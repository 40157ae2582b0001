/**
 * A real soft-phone for attended transfers: sipp cannot send a REFER with Replaces (it needs the
 * second dialog's tags), so the transferring operator is Debian's `linphonec` (TESTBED.md, "Attended
 * transfer by a real soft-phone"), listening on the operator's UAS port, auto-answering, with sound
 * from files. scripts/install-deps.sh installs it; tests that need it fail without it rather than
 * passing unseen.
 *
 *   const phone = await startLinphone(101);
 *   phone.send("pause 1"); phone.send("call sip:119@127.0.0.1:15060"); phone.send("transfer 1 --to-call 2");
 *   await phone.stop();
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { operatorUasPort } from "../../testbed/pjsipConfig.ts";

export const hasLinphone = spawnSync("linphonec", ["--version"]).status === 0;

export interface SoftPhone {
  /** One linphonec command (`pause 1`, `call sip:…`, `transfer 1 --to-call 2`, …). */
  send(command: string): void;
  /** Everything linphonec printed so far (for assertion messages). */
  output(): string;
  /** Kills linphonec and removes its home directory. */
  stop(): Promise<void>;
}

/** Time linphonec needs to bind its SIP port and take commands. */
const STARTUP_MS = 2000;

/** Starts the soft-phone of operator `extension`; resolves once it can take calls. */
export async function startLinphone(extension: number): Promise<SoftPhone> {
  const port = operatorUasPort(extension);
  const home = mkdtempSync(join(tmpdir(), "itgrix-linphone-"));
  mkdirSync(join(home, ".local/share/linphone"), { recursive: true });
  const rc = join(home, "linphonerc");
  writeFileSync(rc, `[sip]\nsip_port=${port}\n[sound]\n`);
  const proc = spawn("linphonec", ["-a", "-c", rc], { env: { ...process.env, HOME: home } });
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => {
    proc.once("exit", () => resolve());
    proc.once("error", () => resolve());
  });
  const send = (command: string): void => void proc.stdin?.write(`${command}\n`);
  send("soundcard use files");
  send(`ports sip ${port}`);
  await new Promise((r) => setTimeout(r, STARTUP_MS));
  return {
    send,
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill();
      const killLater = setTimeout(() => proc.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(killLater);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
