import { mkdirSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { ensureHostPackage } from "./hostPackages.ts";
import { commandLine, isAlive, readPid, removeFile, terminate } from "./pidFile.ts";
import { runChecked, say } from "./run.ts";
import type { TestbedSettings } from "./settings.ts";

function pidFile(settings: TestbedSettings): string {
  return join(settings.runDir, "redis.pid");
}

export function redisUrl(settings: TestbedSettings): string {
  return `redis://127.0.0.1:${settings.redisPort}`;
}

/** The pid of the private redis-server that `up` started, if it still runs. */
export function runningRedis(settings: TestbedSettings): number | undefined {
  const pid = readPid(pidFile(settings));
  if (pid === undefined || !isAlive(pid)) return undefined;
  const cmd = commandLine(pid);
  return cmd.includes("redis-server") && cmd.includes(`:${settings.redisPort}`) ? pid : undefined;
}

/** Sends PING over a plain socket; true on +PONG. */
export function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

export async function startRedis(settings: TestbedSettings): Promise<number> {
  ensureHostPackage("redis-server", "redis-server");
  if (await redisAnswers(settings.redisPort)) {
    throw new Error(`port ${settings.redisPort} already has a Redis not started by the testbed`);
  }
  mkdirSync(settings.runDir, { recursive: true });
  // Not durable on purpose: tests that check durability start their own instance with AOF.
  runChecked("redis-server", [
    "--bind", "127.0.0.1",
    "--port", String(settings.redisPort),
    "--save", "",
    "--appendonly", "no",
    "--daemonize", "yes",
    "--pidfile", pidFile(settings),
    "--logfile", join(settings.runDir, "redis.log"),
    "--dir", settings.runDir,
  ]); // prettier-ignore
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(settings.redisPort))) {
    if (Date.now() > deadline) throw new Error(`redis did not answer on ${settings.redisPort}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = runningRedis(settings);
  if (pid === undefined) throw new Error(`redis started but its pid file ${pidFile(settings)} is missing`);
  return pid;
}

export async function stopRedis(settings: TestbedSettings): Promise<void> {
  const pid = runningRedis(settings);
  if (pid !== undefined) {
    say(`stopping redis (pid ${pid})`);
    await terminate(pid);
  }
  removeFile(pidFile(settings));
}
