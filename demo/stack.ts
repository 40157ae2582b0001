import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { buildDemoConfig, DEMO_REDIS_PREFIX } from "./demoConfig.ts";
import { DemoProcesses } from "./processes.ts";

/**
 * Starts what the demo runs on: the testbed (left running afterwards: it is slow to start and shared
 * with the tests), the Bitrix24 emulator, the app and two worker processes, each waited for until it
 * answers. Everything but the testbed is stopped by `stop()`.
 */

export interface TestbedInfo {
  ari: { url: string; user: string; password: string; app: string };
  sip: { host: string; port: number };
  redis: { url: string };
  asterisk: { root: string; recordingDir: string };
}

export interface Stack {
  testbed: TestbedInfo;
  portalUrl: string;
  statusUrl: string;
  /** The dashboard (admin login: `admin` and the password in `configFile`). */
  dashboardUrl: string;
  configFile: string;
  runDir: string;
  processes: DemoProcesses;
  stop(): Promise<void>;
}

export interface StackOptions {
  repo: string;
  httpPort: number;
  emulatorPort: number;
  workers: number;
  log: (line: string) => void;
}

export async function startStack(o: StackOptions): Promise<Stack> {
  const runDir = join(process.env.ITGRIX_CACHE_DIR || join(homedir(), ".cache", "itgrix"), "demo");
  mkdirSync(runDir, { recursive: true });
  const processes = new DemoProcesses();
  const stop = () => processes.stopAll();
  try {
    o.log(
      "starting the testbed (Asterisk 22, Redis, sipp; the first run provisions them, this takes minutes)…",
    );
    const testbed = await testbedUp(o.repo);
    o.log(
      `testbed: ARI ${testbed.ari.url}, SIP ${testbed.sip.host}:${testbed.sip.port}, Redis ${testbed.redis.url}`,
    );
    await clearDemoKeys(testbed.redis.url);

    const emulator = processes.startTs(
      "emulator",
      "emulator/main.ts",
      ["--port", String(o.emulatorPort), "--plan", "standard", "--seed", "emulator/seeds/callcentre.json"],
      process.env,
      join(runDir, "emulator.log"),
      o.repo,
    );
    const portalUrl = `http://127.0.0.1:${o.emulatorPort}`;
    await waitFor(
      "the Bitrix24 emulator",
      30_000,
      processes,
      async () => (await fetch(`${portalUrl}/_emulator/state`)).ok,
    );
    o.log(`Bitrix24 emulator: ${portalUrl} (state: ${portalUrl}/_emulator/state, log ${emulator.logFile})`);

    const configFile = join(runDir, "itgrix.demo.json");
    const config = buildDemoConfig({
      ari: testbed.ari,
      redisUrl: testbed.redis.url,
      portalUrl,
      httpPort: o.httpPort,
      recordingDir: testbed.asterisk.recordingDir,
      adminPassword: randomBytes(12).toString("base64url"),
    });
    writeFileSync(configFile, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
    const env = { ...process.env, ITGRIX_CONFIG: configFile };

    const app = processes.startTs("app", "app/main.ts", [], env, join(runDir, "app.log"), o.repo);
    const statusUrl = `http://127.0.0.1:${o.httpPort}/status`;
    await waitFor("the app (ARI connected)", 60_000, processes, async () => {
      const s = (await (await fetch(statusUrl)).json()) as { ari?: { connected?: boolean } };
      return s.ari?.connected === true;
    });
    o.log(`app: connected to ARI; status at ${statusUrl} (log ${app.logFile})`);

    for (let i = 1; i <= o.workers; i++) {
      processes.startTs(`worker ${i}`, "workers/main.ts", [], env, join(runDir, `worker-${i}.log`), o.repo);
    }
    await waitFor(`${o.workers} workers`, 60_000, processes, async () => {
      const s = (await (await fetch(statusUrl)).json()) as { workers?: { seen?: number } };
      return (s.workers?.seen ?? 0) >= o.workers;
    });
    o.log(`workers: ${o.workers} running (logs ${join(runDir, "worker-*.log")})`);
    const dashboardUrl = `http://127.0.0.1:${o.httpPort}/dashboard/`;
    return { testbed, portalUrl, statusUrl, dashboardUrl, configFile, runDir, processes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `testbed up` (idempotent); its last stdout line is the JSON of the running testbed. */
async function testbedUp(repo: string): Promise<TestbedInfo> {
  const child = spawn(process.execPath, ["--import", "tsx", "testbed/cli.ts", "up"], {
    cwd: repo,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const last = out.trim().split("\n").pop() ?? "";
  if (code !== 0) throw new Error(`testbed up failed (exit ${code}): ${last}`);
  try {
    return JSON.parse(last) as TestbedInfo;
  } catch {
    throw new Error(`testbed up did not print its JSON last line: ${last.slice(0, 200)}`);
  }
}

/** Leftovers of an earlier demo (queued jobs, call states) would be delivered to the fresh emulator. */
async function clearDemoKeys(url: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${DEMO_REDIS_PREFIX}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

async function waitFor(
  what: string,
  timeoutMs: number,
  processes: DemoProcesses,
  ready: () => Promise<boolean>,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = processes.exited();
    if (dead.length > 0) {
      const d = dead[0]!;
      throw new Error(
        `${d.name} exited (code ${d.code}) while waiting for ${what}; see ${d.logFile}:\n${tail(d.logFile)}`,
      );
    }
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
