import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync } from "node:fs";

/**
 * The processes the demo starts, each in its own process group with its output in a log file, so
 * that stopping the demo stops exactly them (and their children, e.g. tsx's node), by pid.
 */
export interface Started {
  name: string;
  child: ChildProcess;
  logFile: string;
}

export class DemoProcesses {
  private readonly started: Started[] = [];

  /** Starts `node --import tsx <entry> …args` in the repository with its output in `logFile`. */
  startTs(
    name: string,
    entry: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    logFile: string,
    cwd: string,
  ): Started {
    const fd = openSync(logFile, "a");
    const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], {
      cwd,
      env,
      detached: true,
      stdio: ["ignore", fd, fd],
    });
    closeSync(fd);
    const started = { name, child, logFile };
    this.started.push(started);
    return started;
  }

  /** Names of started processes that have exited already (a crash during the demo). */
  exited(): { name: string; code: number | null; logFile: string }[] {
    return this.started
      .filter((s) => s.child.exitCode !== null || s.child.signalCode !== null)
      .map((s) => ({ name: s.name, code: s.child.exitCode, logFile: s.logFile }));
  }

  /** SIGTERM to every group, then SIGKILL to what is left after `graceMs`. */
  async stopAll(graceMs = 8000): Promise<void> {
    const alive = this.started.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
    await Promise.all(
      alive.reverse().map(
        (s) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              signalGroup(s.child, "SIGKILL");
              resolve();
            }, graceMs);
            s.child.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            signalGroup(s.child, "SIGTERM");
          }),
      ),
    );
  }

  /** Last resort from a synchronous `exit` handler. */
  killAllNow(): void {
    for (const s of this.started) {
      if (s.child.exitCode === null && s.child.signalCode === null) signalGroup(s.child, "SIGKILL");
    }
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}
