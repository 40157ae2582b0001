/**
 * The app as a real process (`node --import tsx app/main.ts` with a config file), for the tests that
 * kill it with -9: nothing of it survives in the test's memory, exactly as on a PBX.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Config } from "../../core/config/schema.ts";
import type { StatusReport } from "../../core/status/statusReport.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface AppChild {
  readonly pid: number;
  readonly httpPort: number;
  /** `/status` of the running app. */
  status(): Promise<StatusReport>;
  /** Resolves once ARI is connected and the first resync is done. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** SIGKILL (a crash) or SIGTERM (a clean stop); resolves when the process is gone. */
  stop(signal: "SIGKILL" | "SIGTERM"): Promise<void>;
  /** The last lines the process wrote (for a failing test's message). */
  output(): string;
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => ok(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Starts the app with `config` (written to `dir/app-config.json`); `config.http.port` must be fixed. */
export function startAppChild(config: Config, dir: string): AppChild {
  const file = join(dir, "app-config.json");
  writeFileSync(file, JSON.stringify(config));
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "app/main.ts"], {
    cwd: REPO,
    env: { ...process.env, ITGRIX_CONFIG: file },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines = lastLines(child, 200);
  const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
  const port = config.http.port;
  const status = async (): Promise<StatusReport> => {
    const res = await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(3000) });
    return (await res.json()) as StatusReport;
  };
  return {
    pid: child.pid ?? 0,
    httpPort: port,
    status,
    async waitReady(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const report = await status().catch(() => undefined);
        if (report?.ari.connected && report.ari.lastResyncAt) return;
        if (child.exitCode !== null) throw new Error(`the app exited: ${lines.slice(-20).join("\n")}`);
        if (Date.now() > deadline)
          throw new Error(`the app was not ready in ${timeoutMs} ms: ${lines.slice(-20).join("\n")}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    output: () => lines.join("\n"),
  };
}

/** The last `max` lines a child process wrote (stdout and stderr). */
function lastLines(child: ChildProcess, max: number): string[] {
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString().split("\n").filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - max));
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return lines;
}
