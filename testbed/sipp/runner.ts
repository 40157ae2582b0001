import { spawn, type ChildProcess } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

/**
 * Runs sipp inside the testbed's chroot (`chroot <root> sipp …`): the chroot has sipp 3.8, the host
 * may have none. Every process started here is tracked so `stopAllSipp()` (and process exit) can
 * kill it; Node reaps the children, so none is left as a zombie.
 */
const IN_CHROOT_DIR = "/tmp/itgrix-sipp";
const running = new Set<SippProcess>();
let sequence = 0;
let pruned = false;

/** Scenario, log and error files stay for debugging a failed test; drop those older than a day. */
function pruneOldFiles(dir: string): void {
  if (pruned) return;
  pruned = true;
  const cutoff = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).mtimeMs < cutoff) rmSync(path, { force: true });
  }
}

export interface SippStart {
  root: string;
  /** Short label used in file names, e.g. `op101` or `call-15070`. */
  name: string;
  scenarioXml: string;
  localPort: number;
  /** `host:port` for a UAC; undefined for a UAS. */
  remote?: string;
  /** sipp options after the common ones (e.g. `-m 1`, `-s 4951112233`). */
  extraArgs: string[];
  /** Quit after this long whatever happens (a safety net). */
  maxSeconds?: number;
}

function sippArgs(start: SippStart, id: string): string[] {
  return [
    start.root,
    "sipp",
    ...(start.remote ? [start.remote] : []),
    "-sf", `${IN_CHROOT_DIR}/${id}.xml`,
    "-i", "127.0.0.1",
    "-bind_local",
    "-p", String(start.localPort),
    "-nostdin",
    // Auto-200 for in-dialog INFO/NOTIFY/OPTIONS/UPDATE the scenario does not expect (e.g. a
    // NOTIFY arriving while sipp is still answering the previous one) instead of aborting the call.
    "-aa",
    "-trace_logs", "-log_file", `${IN_CHROOT_DIR}/${id}.log`,
    "-trace_err", "-error_file", `${IN_CHROOT_DIR}/${id}.errors`,
    ...(start.maxSeconds ? ["-timeout", `${start.maxSeconds}s`] : []),
    ...start.extraArgs,
  ]; // prettier-ignore
}

export class SippProcess {
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly logPath: string;
  private readonly errorPath: string;
  readonly startedAt = Date.now();

  constructor(start: SippStart) {
    const id = `${start.name}-${process.pid}-${++sequence}`;
    const hostDir = join(start.root, IN_CHROOT_DIR);
    mkdirSync(hostDir, { recursive: true });
    pruneOldFiles(hostDir);
    writeFileSync(join(hostDir, `${id}.xml`), start.scenarioXml);
    this.logPath = join(hostDir, `${id}.log`);
    this.errorPath = join(hostDir, `${id}.errors`);
    rmSync(this.logPath, { force: true });
    const args = sippArgs(start, id);
    this.child = spawn("chroot", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    this.child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    running.add(this);
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code) => {
        running.delete(this);
        if (code !== 0 && code !== 99 && stderr.trim()) this.lastStderr = stderr.trim();
        resolve(code);
      });
      this.child.on("error", (error) => {
        running.delete(this);
        this.lastStderr = String(error);
        resolve(null);
      });
    });
  }

  lastStderr = "";

  get pid(): number | undefined {
    return this.child.pid;
  }

  isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Lines written by the scenario's `<log>` actions, e.g. `INVITE <call-id>`, `ANSWERED <call-id>`. */
  logLines(): string[] {
    if (!existsSync(this.logPath)) return [];
    return readFileSync(this.logPath, "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
  }

  /** Unexpected messages sipp saw (its -trace_err file), for failure messages. */
  errors(): string {
    return existsSync(this.errorPath) ? readFileSync(this.errorPath, "utf8").slice(-3000) : "";
  }

  async stop(): Promise<void> {
    if (!this.isRunning()) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 2000);
    await this.exited;
    clearTimeout(timer);
  }

  killNow(): void {
    if (this.isRunning()) this.child.kill("SIGKILL");
  }
}

export async function stopAllSipp(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

process.on("exit", () => {
  for (const p of running) p.killNow();
});

/** Inodes of the UDP sockets bound to local `port` (from /proc/net/udp). */
function udpSocketInodes(port: number): Set<string> {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set<string>();
  for (const file of ["/proc/net/udp", "/proc/net/udp6"]) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(`:${hex}`) && fields[9]) inodes.add(fields[9]);
    }
  }
  return inodes;
}

export function udpPortBound(port: number): boolean {
  return udpSocketInodes(port).size > 0;
}

/** True when process `pid` itself holds a UDP socket bound to `port`. */
function boundBy(pid: number, port: number): boolean {
  const inodes = udpSocketInodes(port);
  if (inodes.size === 0) return false;
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return inodes.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? "");
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/** Waits until this sipp has bound its UDP port; fails fast if another program holds the port. */
export async function waitUntilBound(proc: SippProcess, port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (proc.pid === undefined || !boundBy(proc.pid, port)) {
    if (!proc.isRunning()) {
      await proc.exited;
      const holder = udpPortBound(port) ? ` (UDP port ${port} is held by another process)` : "";
      throw new Error(`sipp on port ${port} exited at start${holder}: ${proc.lastStderr || proc.errors()}`);
    }
    if (Date.now() > deadline) throw new Error(`sipp did not bind UDP port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
