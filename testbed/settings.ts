import { homedir } from "node:os";
import { join } from "node:path";

/** Where the testbed keeps its chroot and its run state, and which ports it binds (127.0.0.1 only). */
export interface TestbedSettings {
  /** `${ITGRIX_CACHE_DIR:-~/.cache/itgrix}/testbed` */
  cacheDir: string;
  /** The finished Debian sid chroot with Asterisk and sipp. */
  rootfs: string;
  /** pid files, logs and the record of what `up` started. */
  runDir: string;
  ariPort: number;
  sipPort: number;
  redisPort: number;
  /** The testbed's PostgreSQL (Asterisk's CDR and CEL): port, superuser, database. */
  pgPort: number;
  pgUser: string;
  pgPassword: string;
  pgDatabase: string;
  /** OPTIONS ping interval for operator contacts; 0 (default) = off. See testbed/README.md. */
  qualifySeconds: number;
  ariUser: string;
  ariPassword: string;
  ariApp: string;
}

/** Bumped whenever the chroot's package set or its one-time fixes change, so old caches get rebuilt. */
export const ROOTFS_VERSION = "1";
export const ROOTFS_MARKER = ".itgrix-ready";

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    throw new Error(`${name} is not a port: ${raw}`);
  return value;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): TestbedSettings {
  const base = env.ITGRIX_CACHE_DIR || join(homedir(), ".cache", "itgrix");
  const cacheDir = join(base, "testbed");
  return {
    cacheDir,
    rootfs: join(cacheDir, "rootfs"),
    runDir: join(cacheDir, "run"),
    ariPort: port(env, "ITGRIX_TESTBED_ARI_PORT", 18088),
    sipPort: port(env, "ITGRIX_TESTBED_SIP_PORT", 15060),
    redisPort: port(env, "ITGRIX_TESTBED_REDIS_PORT", 16379),
    pgPort: port(env, "ITGRIX_TESTBED_PG_PORT", 15432),
    pgUser: "itgrix",
    pgPassword: "itgrix",
    pgDatabase: "asterisk",
    qualifySeconds: Number(env.ITGRIX_TESTBED_QUALIFY_SEC ?? 0) || 0,
    ariUser: "itgrix",
    ariPassword: "itgrix",
    ariApp: "itgrix",
  };
}
