import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { runningAsterisk } from "../testbed/asteriskProcess.ts";
import type { TestbedInfo } from "../testbed/info.ts";
import { runningRedis } from "../testbed/redisProcess.ts";
import { loadSettings } from "../testbed/settings.ts";
import { DemoProcesses, type Started } from "../demo/processes.ts";
import { buildConfig, buildSeed, SOAK_REDIS_PREFIX, type RecordDelivery } from "./setup.ts";

/**
 * What the soak runs on: the testbed (left running: slow to start, shared with the tests), the
 * Bitrix24 emulator in the cloud `standard` plan with the soak's seed, the app and the worker
 * processes, each a real child process (`node --import tsx …`) with a generated config file, waited
 * for until it answers. `stop()` stops all but the testbed.
 */

export interface SoakStackOptions {
  repo: string;
  runDir: string;
  workers: number;
  httpPort: number;
  emulatorPort: number;
  recordDelivery: RecordDelivery;
  log: (line: string) => void;
}

export interface SoakStack {
  testbed: TestbedInfo;
  portalUrl: string;
  statusUrl: string;
  redis: Redis;
  processes: DemoProcesses;
  /** Pids by role, for the CPU/RSS probe. */
  pids: { app: number; workers: number[]; emulator: number; asterisk?: number; redis?: number };
  stop(): Promise<void>;
}

export async function startSoakStack(o: SoakStackOptions): Promise<SoakStack> {
  mkdirSync(o.runDir, { recursive: true });
  const processes = new DemoProcesses();
  let redis: Redis | undefined;
  const stop = async () => {
    await processes.stopAll();
    redis?.disconnect();
  };
  try {
    o.log("testbed up (Asterisk 22, Redis; the first run provisions them, this takes minutes)…");
    const testbed = await testbedUp(o.repo);
    redis = new Redis(testbed.redis.url, { maxRetriesPerRequest: 2 });
    await clearSoakKeys(redis);

    // All three start at once (each compiles its TypeScript first, seconds on a busy machine): the
    // app and the workers wait for the portal and Redis on their own.
    const portalUrl = `http://127.0.0.1:${o.emulatorPort}`;
    const env = { ...process.env, ITGRIX_CONFIG: writeFiles(o, testbed, portalUrl) };
    const emulator = start(processes, o, "emulator", "emulator/main.ts", process.env, [
      ...["--port", String(o.emulatorPort), "--plan", "standard", "--seed", join(o.runDir, "seed.json")],
    ]);
    const app = start(processes, o, "app", "app/main.ts", env);
    const workers: Started[] = [];
    for (let i = 1; i <= o.workers; i++)
      workers.push(start(processes, o, `worker-${i}`, "workers/main.ts", env));
    const statusUrl = `http://127.0.0.1:${o.httpPort}/status`;
    await waitFor(
      "the emulator",
      60_000,
      processes,
      async () => (await fetch(`${portalUrl}/_emulator/health`)).ok,
    );
    await waitFor(`the app (ARI connected) and ${o.workers} workers`, 60_000, processes, async () => {
      const s = (await (await fetch(statusUrl)).json()) as {
        ari?: { connected?: boolean };
        workers?: { seen?: number };
      };
      return s.ari?.connected === true && (s.workers?.seen ?? 0) >= o.workers;
    });
    o.log(`app, ${o.workers} workers and the emulator run; logs and config in ${o.runDir}`);
    const settings = loadSettings();
    return {
      testbed,
      portalUrl,
      statusUrl,
      redis,
      processes,
      pids: {
        app: app.child.pid!,
        workers: workers.map((w) => w.child.pid!),
        emulator: emulator.child.pid!,
        asterisk: runningAsterisk(settings),
        redis: runningRedis(settings),
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The emulator's seed and the connector's config file (mode 0600: it holds the admin password). */
function writeFiles(o: SoakStackOptions, testbed: TestbedInfo, portalUrl: string): string {
  writeFileSync(join(o.runDir, "seed.json"), JSON.stringify(buildSeed(), null, 2) + "\n");
  const configFile = join(o.runDir, "itgrix.soak.json");
  const config = buildConfig(
    {
      ari: testbed.ari,
      redisUrl: testbed.redis.url,
      portalUrl,
      httpPort: o.httpPort,
      recordingDir: testbed.asterisk.recordingDir,
      adminPassword: randomBytes(12).toString("base64url"),
      signingKey: randomBytes(24).toString("base64url"),
    },
    o.recordDelivery,
  );
  writeFileSync(configFile, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
  return configFile;
}

function start(
  processes: DemoProcesses,
  o: SoakStackOptions,
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  args: string[] = [],
): Started {
  writeFileSync(join(o.runDir, `${name}.log`), ""); // one run per log
  return processes.startTs(name, entry, args, env, join(o.runDir, `${name}.log`), o.repo);
}

/** `testbed up` (idempotent); its last stdout line is the JSON of the running testbed. */
async function testbedUp(repo: string): Promise<TestbedInfo> {
  const child = spawn(process.execPath, ["--import", "tsx", "testbed/cli.ts", "up"], {
    cwd: repo,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const last = out.trim().split("\n").pop() ?? "";
  if (code !== 0) throw new Error(`testbed up failed (exit ${code}): ${last}`);
  return JSON.parse(last) as TestbedInfo;
}

/** Jobs and call states of an earlier soak would be delivered to the fresh emulator. */
async function clearSoakKeys(redis: Redis): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${SOAK_REDIS_PREFIX}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
}

async function waitFor(
  what: string,
  timeoutMs: number,
  processes: DemoProcesses,
  ready: () => Promise<boolean>,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = processes.exited()[0];
    if (dead) {
      const tail = readTail(dead.logFile);
      throw new Error(`${dead.name} exited (code ${dead.code}) while waiting for ${what}:\n${tail}`);
    }
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function readTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
