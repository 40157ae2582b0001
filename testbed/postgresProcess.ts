import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ensureHostPackageWith } from "./hostPackages.ts";
import { runChecked, runQuiet, say } from "./run.ts";
import type { TestbedSettings } from "./settings.ts";

/**
 * The testbed's own PostgreSQL cluster (Debian's postgresql on the host): its own data directory and
 * port on 127.0.0.1, like the testbed's Redis. Asterisk in the chroot writes CDR and CEL into it; the
 * connector reads them. PostgreSQL refuses to run as root, so the server runs as the `postgres` user
 * the Debian package creates; only TCP is used (no socket file that two network namespaces would
 * share).
 */

const OS_USER = "postgres";
const MARKER = ".itgrix-initialised";

/** `/usr/lib/postgresql/<newest>/bin`, where Debian keeps initdb, pg_ctl and postgres. */
function binDir(): string | undefined {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(base, v, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], "bin");
}

function requireBinDir(): string {
  ensureHostPackageWith(() => binDir() !== undefined, "postgresql", "PostgreSQL server binaries");
  return binDir()!;
}

/** Runs a command as the postgres OS user. */
function asPostgres(command: string, args: string[]): ReturnType<typeof runQuiet> {
  return runQuiet("runuser", ["-u", OS_USER, "--", command, ...args], { timeoutMs: 120_000 });
}

function checkedAsPostgres(command: string, args: string[]): string {
  const result = asPostgres(command, args);
  if (result.status !== 0) {
    const tail = (result.stderr || result.stdout).trim().split("\n").slice(-10).join("\n");
    throw new Error(`${command} ${args.join(" ")} failed (exit ${result.status}):\n${tail}`);
  }
  return result.stdout;
}

/** True when the postgres user can create files in `dir` (every folder above it must be searchable). */
function reachableByPostgres(dir: string): boolean {
  return asPostgres("test", ["-w", dir, "-a", "-x", dir]).status === 0;
}

/**
 * Where the cluster lives: `<testbed cache>/postgres`, owned by the postgres user. A cache under a
 * home folder the postgres user cannot enter (root's, mode 0700) would need that folder opened up;
 * instead the cluster then goes to a folder of its own in the postgres user's home, named after the
 * cache so that two caches never share one.
 */
export function postgresRoot(settings: TestbedSettings): string {
  const inCache = join(settings.cacheDir, "postgres");
  mkdirSync(inCache, { recursive: true });
  runChecked("chown", [`${OS_USER}:${OS_USER}`, inCache]);
  if (reachableByPostgres(inCache)) return inCache;
  const home = runChecked("sh", ["-c", `getent passwd ${OS_USER} | cut -d: -f6`]).trim();
  const tag = createHash("sha256").update(settings.cacheDir).digest("hex").slice(0, 12);
  const fallback = join(home, `itgrix-testbed-${tag}`);
  checkedAsPostgres("mkdir", ["-p", fallback]);
  return fallback;
}

function dataDir(root: string): string {
  return join(root, "data");
}

export function postgresUrl(settings: TestbedSettings): string {
  const { pgUser, pgPassword, pgPort, pgDatabase } = settings;
  return `postgres://${pgUser}:${pgPassword}@127.0.0.1:${pgPort}/${pgDatabase}`;
}

/** `initdb` once per data directory: the superuser is the testbed's user, password-checked over TCP. */
function initialise(bin: string, root: string, settings: TestbedSettings): void {
  if (asPostgres("test", ["-f", join(root, MARKER)]).status === 0) return;
  say("initialising the PostgreSQL cluster (once)");
  checkedAsPostgres("rm", ["-rf", dataDir(root)]);
  const pwfile = join(root, "initdb.pw");
  checkedAsPostgres("sh", ["-c", `umask 077 && printf '%s' "$1" > "$2"`, "sh", settings.pgPassword, pwfile]);
  try {
    checkedAsPostgres(join(bin, "initdb"), [
      "-D", dataDir(root),
      "-U", settings.pgUser,
      `--pwfile=${pwfile}`,
      "--auth-host=scram-sha-256",
      "--auth-local=peer",
      "--encoding=UTF8",
      "--locale=C",
    ]); // prettier-ignore
  } finally {
    asPostgres("rm", ["-f", pwfile]);
  }
  checkedAsPostgres("touch", [join(root, MARKER)]);
}

/** The server's pid when `pg_ctl status` says it runs. */
export function runningPostgres(settings: TestbedSettings): number | undefined {
  const bin = binDir();
  if (!bin) return undefined;
  const root = postgresRoot(settings);
  const result = asPostgres(join(bin, "pg_ctl"), ["-D", dataDir(root), "status"]);
  const pid = /PID:\s*(\d+)/.exec(result.stdout)?.[1];
  return result.status === 0 && pid ? Number(pid) : undefined;
}

export async function startPostgres(settings: TestbedSettings): Promise<void> {
  const bin = requireBinDir();
  const root = postgresRoot(settings);
  initialise(bin, root, settings);
  const options = [
    "-c listen_addresses=127.0.0.1",
    `-c port=${settings.pgPort}`,
    "-c unix_socket_directories=''",
    "-c fsync=off", // a test database: speed over durability across a host crash
    "-c max_connections=200",
  ].join(" ");
  checkedAsPostgres(join(bin, "pg_ctl"), [
    "-D", dataDir(root),
    "-l", join(root, "server.log"),
    "-o", options,
    "-w", "-t", "60",
    "start",
  ]); // prettier-ignore
}

export async function stopPostgres(settings: TestbedSettings): Promise<void> {
  const bin = binDir();
  if (!bin || runningPostgres(settings) === undefined) return;
  say("stopping postgresql");
  checkedAsPostgres(join(bin, "pg_ctl"), ["-D", dataDir(postgresRoot(settings)), "-m", "fast", "-w", "stop"]);
}
