import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { isAlive, processRoot, readPid, removeFile, terminate, waitForExit } from "./pidFile.ts";
import { runQuiet, say } from "./run.ts";
import type { TestbedSettings } from "./settings.ts";
import { chrootPath } from "./chrootPath.ts";

function chrootPidFile(settings: TestbedSettings): string {
  return chrootPath(settings.rootfs, "/var/run/asterisk/asterisk.pid");
}

function hostPidFile(settings: TestbedSettings): string {
  return join(settings.runDir, "asterisk.pid");
}

/** The pid of the Asterisk that `up` started in our chroot, if it still runs. */
export function runningAsterisk(settings: TestbedSettings): number | undefined {
  const pid = readPid(hostPidFile(settings));
  if (pid === undefined || !isAlive(pid)) return undefined;
  const root = processRoot(pid);
  return root !== undefined && root === realpathSync(settings.rootfs) ? pid : undefined;
}

export function asteriskCli(settings: TestbedSettings, command: string): string {
  const result = runQuiet("chroot", [settings.rootfs, "/usr/sbin/asterisk", "-rx", command], {
    timeoutMs: 30_000,
  });
  return result.stdout + result.stderr;
}

export function ariBaseUrl(settings: TestbedSettings): string {
  return `http://127.0.0.1:${settings.ariPort}`;
}

export async function ariAnswers(settings: TestbedSettings): Promise<boolean> {
  const auth = Buffer.from(`${settings.ariUser}:${settings.ariPassword}`).toString("base64");
  try {
    const response = await fetch(`${ariBaseUrl(settings)}/ari/asterisk/info`, {
      headers: { authorization: `Basic ${auth}` },
      signal: AbortSignal.timeout(2000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

async function portTaken(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch (error) {
    return !String((error as { cause?: unknown }).cause).includes("ECONNREFUSED");
  }
}

/** Starts Asterisk in the chroot (daemonized, as root) and waits until ARI answers. */
export async function startAsterisk(settings: TestbedSettings): Promise<number> {
  if (await portTaken(settings.ariPort)) {
    throw new Error(
      `port ${settings.ariPort} is already in use by another program (set ITGRIX_TESTBED_ARI_PORT)`,
    );
  }
  mkdirSync(chrootPath(settings.rootfs, "/var/run/asterisk"), { recursive: true });
  mkdirSync(chrootPath(settings.rootfs, "/var/spool/asterisk/recording"), { recursive: true });
  removeFile(chrootPidFile(settings));
  const started = spawnSync(
    "chroot",
    [settings.rootfs, "/usr/sbin/asterisk", "-U", "root", "-G", "root", "-F", "-n"],
    {
      stdio: "ignore",
      timeout: 30_000,
    },
  );
  if (started.status !== 0) throw new Error(`asterisk failed to start (exit ${started.status})`);
  const pid = await waitForPidFile(chrootPidFile(settings), 60_000);
  copyFileSync(chrootPidFile(settings), hostPidFile(settings));
  asteriskCli(settings, "core waitfullybooted");
  const deadline = Date.now() + 60_000;
  while (!(await ariAnswers(settings))) {
    if (!isAlive(pid))
      throw new Error(`asterisk exited during start-up; see ${settings.rootfs}/var/log/asterisk`);
    if (Date.now() > deadline) throw new Error(`ARI did not answer on port ${settings.ariPort} within 60 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return pid;
}

async function waitForPidFile(path: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pid = readPid(path);
    if (pid !== undefined && isAlive(pid)) return pid;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`asterisk wrote no pid file (${path})`);
}

/** Stops the Asterisk `up` started: `core stop now`, then the pid. */
export async function stopAsterisk(settings: TestbedSettings): Promise<void> {
  const pid = runningAsterisk(settings);
  if (pid !== undefined) {
    say(`stopping asterisk (pid ${pid})`);
    asteriskCli(settings, "core stop now");
    if (!(await waitForExit(pid, 10_000))) await terminate(pid);
  }
  removeFile(hostPidFile(settings));
  if (existsSync(settings.rootfs)) removeFile(chrootPidFile(settings));
}
