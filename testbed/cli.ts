/**
 * `npm run testbed -- up | down | status | stop-asterisk | start-asterisk`: a real Asterisk 22 (Debian sid chroot) with sipp, and a
 * private Redis, for the integration tests and the demo. See testbed/README.md.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { installAsteriskConfig, RESTART_FILES } from "./asteriskConfig.ts";
import { ariAnswers, asteriskCli, runningAsterisk, startAsterisk, stopAsterisk } from "./asteriskProcess.ts";
import { testbedInfo } from "./info.ts";
import { withLock } from "./lock.ts";
import { mountChrootFilesystems, mountsUnder, unmountAllUnder } from "./mounts.ts";
import { runningPostgres, startPostgres, stopPostgres } from "./postgresProcess.ts";
import { prepareRecordsDatabase, recordModulesLoaded, reloadRecordModules } from "./recordsDatabase.ts";
import { redisAnswers, runningRedis, startRedis, stopRedis } from "./redisProcess.ts";
import { ensureRootfs, isRootfsReady } from "./rootfs.ts";
import { say } from "./run.ts";
import { loadSettings, type TestbedSettings } from "./settings.ts";

async function up(settings: TestbedSettings): Promise<void> {
  const started = Date.now();
  if (process.getuid?.() !== 0) throw new Error("the testbed needs root (chroot, mount)");
  ensureRootfs(settings);
  mkdirSync(settings.runDir, { recursive: true });
  mountChrootFilesystems(settings.rootfs);
  const changed = installAsteriskConfig(settings);
  // Asterisk's CDR/CEL modules need the database and its tables when they load: PostgreSQL first.
  const postgresWasDown = runningPostgres(settings) === undefined;
  if (postgresWasDown) {
    say("starting postgresql");
    await startPostgres(settings);
  }
  await prepareRecordsDatabase(settings);
  let asteriskPid = runningAsterisk(settings);
  if (asteriskPid !== undefined && changed.some((name) => RESTART_FILES.includes(name))) {
    say(`configuration changed (${changed.join(", ")}): restarting asterisk`);
    await stopAsterisk(settings);
    asteriskPid = undefined;
  }
  if (asteriskPid === undefined) {
    say("starting asterisk");
    await startAsterisk(settings);
  } else if (changed.length > 0) {
    say(`configuration changed (${changed.join(", ")}): core reload`);
    asteriskCli(settings, "core reload");
  } else {
    say(`asterisk already running (pid ${asteriskPid})`);
  }
  if (
    asteriskPid !== undefined &&
    (postgresWasDown || changed.length > 0 || !recordModulesLoaded(settings))
  ) {
    reloadRecordModules(settings);
  }
  if (!recordModulesLoaded(settings)) throw new Error("cdr_pgsql / cel_pgsql did not load in Asterisk");
  if (runningRedis(settings) === undefined) {
    say("starting redis");
    await startRedis(settings);
  }
  say(`up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(JSON.stringify(testbedInfo(settings)));
}

/** Returns what is down; empty when everything runs. */
async function problems(settings: TestbedSettings): Promise<string[]> {
  const found: string[] = [];
  if (!isRootfsReady(settings.rootfs)) found.push(`the chroot is not provisioned (${settings.rootfs})`);
  const mounted = new Set(mountsUnder(settings.rootfs));
  for (const name of ["proc", "dev"]) {
    if (!mounted.has(join(settings.rootfs, name))) found.push(`/${name} is not mounted in the chroot`);
  }
  if (runningAsterisk(settings) === undefined) found.push("asterisk is not running");
  else if (!(await ariAnswers(settings))) found.push(`ARI does not answer on port ${settings.ariPort}`);
  if (runningPostgres(settings) === undefined) found.push("the testbed's postgresql is not running");
  if (runningRedis(settings) === undefined) found.push("the testbed's redis is not running");
  else if (!(await redisAnswers(settings.redisPort)))
    found.push(`redis does not answer on ${settings.redisPort}`);
  return found;
}

async function status(settings: TestbedSettings): Promise<number> {
  const found = await problems(settings);
  if (found.length === 0) {
    console.log(JSON.stringify(testbedInfo(settings)));
    return 0;
  }
  console.log(`testbed is down: ${found.join("; ")}`);
  return 1;
}

async function down(settings: TestbedSettings): Promise<void> {
  await stopAsterisk(settings);
  await stopRedis(settings);
  await stopPostgres(settings);
  unmountAllUnder(settings.rootfs);
  say("down");
}

async function main(): Promise<number> {
  const command = process.argv[2];
  const settings = loadSettings();
  switch (command) {
    case "up":
      await withLock(settings.cacheDir, () => up(settings));
      return 0;
    case "down":
      await withLock(settings.cacheDir, () => down(settings));
      return 0;
    case "status":
      return status(settings);
    case "stop-asterisk":
      await withLock(settings.cacheDir, () => stopAsterisk(settings));
      return 0;
    case "start-asterisk":
      await withLock(settings.cacheDir, () => startAsterisk(settings).then(() => undefined));
      return 0;
    default:
      console.error("usage: npm run testbed -- up | down | status | stop-asterisk | start-asterisk");
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[testbed] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
