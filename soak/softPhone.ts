import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { operatorUasPort } from "../testbed/pjsipConfig.ts";
import type { PbxAddress } from "../testbed/sipp/scenarios.ts";

/**
 * The attended-transfer operator: a real soft-phone (Debian's `linphonec`; sipp cannot send a REFER
 * with Replaces), auto-answering on the operator's UAS port, driven on stdin as in
 * test/support/linphone.ts. Unlike that helper it keeps every output line with the time it
 * arrived, because the soak needs the moments of answer and transfer for the call's truth.
 */

export const hasLinphone = spawnSync("linphonec", ["--version"]).status === 0;

export interface AttendedTimes {
  rangAt: number;
  answeredAt: number;
  /** The consultation call to the target was answered. */
  consultAnsweredAt: number;
  transferredAt: number;
}

interface Line {
  at: number;
  text: string;
}

const STARTUP_MS = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SoftPhone {
  private readonly lines: Line[] = [];
  private partial = "";
  private readonly exited: Promise<void>;

  private constructor(
    private readonly proc: ChildProcess,
    private readonly home: string,
  ) {
    const take = (chunk: Buffer) => {
      const text = this.partial + chunk.toString();
      const parts = text.split("\n");
      this.partial = parts.pop() ?? "";
      const at = Date.now();
      for (const p of parts) this.lines.push({ at, text: p });
    };
    proc.stdout?.on("data", take);
    proc.stderr?.on("data", take);
    this.exited = new Promise((resolve) => {
      proc.once("exit", () => resolve());
      proc.once("error", () => resolve());
    });
  }

  static async start(extension: string): Promise<SoftPhone> {
    const port = operatorUasPort(Number(extension));
    const home = mkdtempSync(join(tmpdir(), "itgrix-soak-linphone-"));
    // Without this folder the core never reaches "On" and answers every INVITE with 503.
    mkdirSync(join(home, ".local/share/linphone"), { recursive: true });
    const rc = join(home, "linphonerc");
    writeFileSync(
      rc,
      `[sip]\nsip_port=${port}\ncontact="${extension}" <sip:${extension}@127.0.0.1>\n[sound]\n`,
    );
    const proc = spawn("linphonec", ["-a", "-c", rc], { env: { ...process.env, HOME: home } });
    const phone = new SoftPhone(proc, home);
    phone.send("soundcard use files");
    phone.send(`ports sip ${port}`);
    await sleep(STARTUP_MS);
    return phone;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  send(command: string): void {
    this.proc.stdin?.write(`${command}\n`);
  }

  /**
   * Plays the operator's side of one attended transfer: waits for the call from `clientNumber`
   * (auto-answered), talks `talkMs`, puts it on hold, calls `target`, and once the target answered
   * and they spoke `consultMs`, transfers the client to it.
   */
  async attendedTransfer(
    clientNumber: string,
    target: string,
    pbx: PbxAddress,
    o: { talkMs: number; consultMs: number; timeoutMs: number },
  ): Promise<AttendedTimes> {
    const from = this.lines.length;
    const incoming = await this.waitLine(
      from,
      new RegExp(`incoming call from .*${clientNumber}.*assigned id (\\d+)`),
      o.timeoutMs,
    );
    const clientCall = incoming.match[1]!;
    const answered = await this.waitLine(
      from,
      new RegExp(`Call ${clientCall} with .* connected`),
      o.timeoutMs,
    );
    await sleep(o.talkMs);
    this.send(`pause ${clientCall}`);
    await sleep(500);
    const consultFrom = this.lines.length;
    this.send(`call sip:${target}@${pbx.host}:${pbx.port}`);
    const outgoing = await this.waitLine(consultFrom, /assigned id (\d+)/, o.timeoutMs);
    const consultCall = outgoing.match[1]!;
    const consult = await this.waitLine(
      consultFrom,
      new RegExp(`Call ${consultCall} with .* connected`),
      o.timeoutMs,
    );
    await sleep(o.consultMs);
    const transferredAt = Date.now();
    this.send(`transfer ${clientCall} --to-call ${consultCall}`);
    await this.waitLine(consultFrom, new RegExp(`Call ${clientCall} with .* ended`), o.timeoutMs);
    return {
      rangAt: incoming.at,
      answeredAt: answered.at,
      consultAnsweredAt: consult.at,
      transferredAt,
    };
  }

  /** The last lines it printed (for a failure message). */
  tail(lines = 15): string {
    return this.lines
      .slice(-lines)
      .map((l) => l.text)
      .join("\n");
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill();
    const killLater = setTimeout(() => this.proc.kill("SIGKILL"), 3000);
    await this.exited;
    clearTimeout(killLater);
    rmSync(this.home, { recursive: true, force: true });
  }

  private async waitLine(
    fromIndex: number,
    pattern: RegExp,
    timeoutMs: number,
  ): Promise<{ at: number; match: RegExpMatchArray }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = fromIndex; i < this.lines.length; i++) {
        const match = this.lines[i]!.text.match(pattern);
        if (match) return { at: this.lines[i]!.at, match };
      }
      if (Date.now() > deadline) throw new Error(`linphonec: no line matching ${pattern} in ${timeoutMs} ms`);
      await sleep(50);
    }
  }
}
