import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import type { RedisKeys } from "../core/redis/keys.ts";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../emulator/server.ts";
import { isRunning, signalChild, spawnTsInGroup, stopChild } from "../testbed/processGroup.ts";
import { startRedisServer, type RedisServer } from "../testbed/redisServer.ts";
import type { SeedUser } from "./expectations.ts";
import { startRecordingServer, type RecordingServer } from "./recordingServer.ts";

/**
 * The benchmark's stack: one private redis-server, an in-process Bitrix24 emulator per run (and, for
 * `crm.recordDelivery: "url"`, an HTTP server of signed recording links per run), and worker
 * processes (`node --import tsx workers/main.ts`, each in its own process group with its log in the run
 * directory). Everything started here is stopped here: `stopAll` at the end and on SIGINT, and a
 * synchronous SIGKILL of the workers if the process exits any other way.
 */

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The incoming webhook of the emulator's default seed. */
const WEBHOOK_PATH = "/rest/1/demo-webhook-secret/";

export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Highest VmHWM seen (kB): the process's peak resident set. */
  peakRssKb: number;
}

export class BenchStack {
  redis: RedisServer | undefined;
  private stopping: Promise<void> | undefined;
  readonly emulators = new Set<RunningEmulator>();
  readonly recordingServers = new Set<RecordingServer>();
  readonly workers = new Set<WorkerProcess>();
  private constructor(readonly runDir: string) {}

  static async create(): Promise<BenchStack> {
    const stack = new BenchStack(await mkdtemp(join(tmpdir(), "itgrix-bench-")));
    process.once("exit", () => stack.killNow());
    return stack;
  }

  async redisUrl(): Promise<string> {
    this.redis ??= await startRedisServer({ ownProcessGroup: true });
    return this.redis.url;
  }

  async emulator(options: EmulatorOptions): Promise<RunningEmulator> {
    const emulator = await startEmulator({ port: 0, plan: "standard", ...options });
    this.emulators.add(emulator);
    return emulator;
  }

  async closeEmulator(emulator: RunningEmulator): Promise<void> {
    this.emulators.delete(emulator);
    await emulator.close();
  }

  async recordingServer(spoolDir: string, signingKey: string): Promise<RecordingServer> {
    const server = await startRecordingServer(spoolDir, signingKey);
    this.recordingServers.add(server);
    return server;
  }

  async closeRecordingServer(server: RecordingServer): Promise<void> {
    this.recordingServers.delete(server);
    await server.close();
  }

  /** A spool directory for this run (recordings are written under it). */
  async spoolDir(name: string): Promise<string> {
    const dir = join(this.runDir, name, "spool");
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Writes the workers' configuration file for one run and returns its path. */
  async writeConfig(name: string, config: Record<string, unknown>): Promise<string> {
    const file = join(this.runDir, name, "itgrix.bench.json");
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
    return file;
  }

  /** Keeps a JSON file in the run directory (kept with --keep, for a look after the run). */
  async writeRunFile(name: string, file: string, value: unknown): Promise<void> {
    await writeFile(join(this.runDir, name, file), JSON.stringify(value, null, 1) + "\n");
  }

  startWorkers(name: string, count: number, configFile: string): WorkerProcess[] {
    const started: WorkerProcess[] = [];
    for (let i = 1; i <= count; i++) {
      const logFile = join(this.runDir, name, `worker-${i}.log`);
      const env = { ...process.env, ITGRIX_CONFIG: configFile };
      const child = spawnTsInGroup("workers/main.ts", [], { cwd: REPO, env, logFile });
      const worker = { name: `${name}/worker-${i}`, child, logFile, peakRssKb: 0 };
      this.workers.add(worker);
      started.push(worker);
    }
    return started;
  }

  /** Updates each worker's peak RSS from /proc (VmHWM is the kernel's own high-water mark). */
  sampleRss(workers: Iterable<WorkerProcess>): void {
    for (const w of workers) w.peakRssKb = Math.max(w.peakRssKb, peakRssKbOf(w.child.pid));
  }

  /** SIGTERM (the workers finish what is in flight), SIGKILL after `graceMs`. */
  async stopWorkers(workers: Iterable<WorkerProcess>, graceMs = 10_000): Promise<void> {
    const list = [...workers];
    this.sampleRss(list);
    await Promise.all(list.map((w) => stopChild(w.child, graceMs)));
    for (const w of list) this.workers.delete(w);
  }

  /** Workers first (they need Redis to stop cleanly), then the emulators, then Redis; once. */
  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      await this.stopWorkers([...this.workers]);
      await Promise.all([...this.emulators].map((e) => this.closeEmulator(e)));
      await Promise.all([...this.recordingServers].map((r) => this.closeRecordingServer(r)));
      await this.redis?.stop();
    })();
    return this.stopping;
  }

  async removeRunDir(): Promise<void> {
    await rm(this.runDir, { recursive: true, force: true });
  }

  /** Last resort from a synchronous `exit` handler. */
  killNow(): void {
    for (const w of this.workers) signalChild(w.child, "SIGKILL");
    this.redis?.killNow();
  }
}

export function webhookUrlOf(emulator: RunningEmulator): string {
  return `${emulator.url}${WEBHOOK_PATH}`;
}

/** The users of the emulator's default seed (the bench's CRM directory). */
export function seedUsers(): SeedUser[] {
  const seed = JSON.parse(readFileSync(join(REPO, "emulator/seeds/callcentre.json"), "utf8")) as {
    users: SeedUser[];
  };
  return seed.users;
}

/** Every worker has written its heartbeat (it has loaded the directory and consumes jobs). */
export async function waitForWorkers(redis: Redis, keys: RedisKeys, workers: WorkerProcess[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await redis.hlen(keys.heartbeats)) < workers.length) {
    await failIfExited(workers);
    if (Date.now() > deadline)
      throw new Error(`workers did not start within 60 s (logs: ${workers[0]?.logFile})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Rejects with the end of its log when a worker has died. */
export async function failIfExited(workers: WorkerProcess[]): Promise<void> {
  const dead = workers.find((w) => !isRunning(w.child));
  if (!dead) return;
  const tail = (await readFile(dead.logFile, "utf8").catch(() => "")).split("\n").slice(-15).join("\n");
  throw new Error(
    `${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}); log ${dead.logFile}:\n${tail}`,
  );
}

function peakRssKbOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status) ?? /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // exited, or no /proc
  }
}
