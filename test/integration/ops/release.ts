/**
 * Helpers of the offline-install test: build the release tarball once, run commands with the network
 * switched off (a fresh network namespace with no interface up: not even a loopback), and run the
 * installed app and workers as separate `node` processes (no tsx, no repository on their paths).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its end and collects its output; never throws for a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 180_000);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The same command in a new network namespace: no network at all, so any download would fail. */
export function runOffline(
  command: string,
  args: string[],
  options: Parameters<typeof run>[2] = {},
): Promise<RunResult> {
  return run("unshare", ["--net", command, ...args], options);
}

/** `npm run package` with the network off; returns the tarball's path. */
export async function buildTarball(
  outDir: string,
  version: string,
): Promise<{ tarball: string; ms: number }> {
  const result = await runOffline("bash", ["scripts/package.sh", "--out", outDir, "--version", version]);
  if (result.code !== 0) throw new Error(`package.sh failed (${result.code}):\n${result.stderr}`);
  const tarball = result.stdout.trim().split("\n").pop() ?? "";
  return { tarball: resolve(REPO, tarball), ms: result.ms };
}

/**
 * A second release made from an unpacked first one by changing only its version (RELEASE,
 * package.json, dist/package.json): enough to test upgrade and rollback without a second build. The
 * copy is made of hard links; a changed file is unlinked first so the first release keeps its own.
 */
export async function deriveRelease(
  unpacked: string,
  target: string,
  version: string,
  build = `derived-${version}`,
): Promise<string> {
  const copy = await run("cp", ["-al", unpacked, target]);
  if (copy.code !== 0) throw new Error(`cp -al: ${copy.stderr}`);
  const rewrite = (file: string, text: string): void => {
    unlinkSync(join(target, file));
    writeFileSync(join(target, file), text);
  };
  rewrite(
    "RELEASE",
    readFileSync(join(target, "RELEASE"), "utf8")
      .replace(/^version=.*$/m, `version=${version}`)
      .replace(/^build=.*$/m, `build=${build}`),
  );
  for (const file of ["package.json", "dist/package.json"]) {
    const pkg = JSON.parse(readFileSync(join(target, file), "utf8")) as { version: string };
    rewrite(file, JSON.stringify({ ...pkg, version }, null, 2) + "\n");
  }
  return target;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (typeof address !== "object" || address === null) throw new Error("no port");
  return address.port;
}

export interface InstalledProcess {
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * `node --enable-source-maps <installed>/current/dist/<part>/main.js` with only PATH, HOME and
 * ITGRIX_CONFIG in its environment, started outside the repository.
 */
export function startInstalled(
  prefix: string,
  part: "app" | "workers",
  configFile: string,
  cwd: string,
): InstalledProcess {
  const child = spawn(
    process.execPath,
    ["--enable-source-maps", join(prefix, "current", "dist", part, "main.js")],
    {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ITGRIX_CONFIG: configFile },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface StatusDoc {
  status: string;
  problems: string[];
  app: { version: string };
  ari: { connected: boolean };
  workers: { seen: number | null };
}

/** Polls `/status` until `ready` holds; the error shows the last document and the processes' logs. */
export async function waitForStatus(
  port: number,
  ready: (doc: StatusDoc) => boolean,
  logs: () => string,
  timeoutMs = 20_000,
): Promise<StatusDoc> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/status`);
      last = await res.json();
      if (ready(last as StatusDoc)) return last as StatusDoc;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`/status not ready in ${timeoutMs} ms: ${JSON.stringify(last)}\n${logs()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Paths named by `new URL("<relative>", import.meta.url)` in the compiled files under `dir`. */
export function filesReadRelatively(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".js")) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/new URL\(\s*["'`]([^"'`]+)["'`]\s*,\s*import\.meta\.url\s*\)/g))
      found.push(resolve(dirname(file), m[1]!));
  }
  return found;
}
