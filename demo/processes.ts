import type { ChildProcess } from "node:child_process";
import { isRunning, signalChild, spawnTsInGroup, stopChild } from "../testbed/processGroup.ts";

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
    const child = spawnTsInGroup(entry, args, { cwd, env, logFile });
    const started = { name, child, logFile };
    this.started.push(started);
    return started;
  }

  /** Names of started processes that have exited already (a crash during the demo). */
  exited(): { name: string; code: number | null; logFile: string }[] {
    return this.started
      .filter((s) => !isRunning(s.child))
      .map((s) => ({ name: s.name, code: s.child.exitCode, logFile: s.logFile }));
  }

  /** SIGTERM to every group (the last started first), SIGKILL to what is left after `graceMs`. */
  async stopAll(graceMs = 8000): Promise<void> {
    const alive = this.started.filter((s) => isRunning(s.child));
    await Promise.all(alive.reverse().map((s) => stopChild(s.child, graceMs)));
  }

  /** Last resort from a synchronous `exit` handler. */
  killAllNow(): void {
    for (const s of this.started) signalChild(s.child, "SIGKILL");
  }
}
