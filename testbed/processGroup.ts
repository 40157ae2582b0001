import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";

/**
 * Child processes the tools start in their own process group (`detached`), so that stopping them
 * reaches their children too, and a Ctrl-C in the terminal reaches only the caller, which then stops
 * them in its own order. Used by the throw-away Redis, the demo and the benchmark.
 */

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Signals the child's process group (`group`) or the child alone; nothing once it has exited. */
export function signalChild(child: ChildProcess, signal: NodeJS.Signals, group = true): void {
  if (child.pid === undefined || !isRunning(child)) return;
  try {
    if (group) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** SIGTERM (the child finishes what is in flight), SIGKILL after `graceMs`; resolves once it exited. */
export function stopChild(child: ChildProcess, graceMs: number, group = true): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => signalChild(child, "SIGKILL", group), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    signalChild(child, "SIGTERM", group);
  });
}

export interface TsProcessOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here. */
  logFile: string;
}

/** `node --import tsx <entry> …args` in its own process group, its output appended to `logFile`. */
export function spawnTsInGroup(entry: string, args: string[], options: TsProcessOptions): ChildProcess {
  const fd = openSync(options.logFile, "a");
  try {
    return spawn(process.execPath, ["--import", "tsx", entry, ...args], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["ignore", fd, fd],
    });
  } finally {
    closeSync(fd);
  }
}
