import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { hostDebianMirror } from "./aptMirror.ts";
import { ensureHostPackage } from "./hostPackages.ts";
import { mountChrootFilesystems, unmountAllUnder } from "./mounts.ts";
import { chrootPath } from "./chrootPath.ts";
import { runChecked, say } from "./run.ts";
import { ROOTFS_MARKER, ROOTFS_VERSION, type TestbedSettings } from "./settings.ts";

const PACKAGES = ["asterisk", "asterisk-modules", "sip-tester"];
const APT_OPTIONS = ["-o", "Acquire::Check-Valid-Until=false"];
/** Installed by the Debian package as asterisk:asterisk 0640; root may not read them on these hosts. */
const ASTERISK_DIRS = [
  "etc/asterisk",
  "var/lib/asterisk",
  "var/spool/asterisk",
  "var/log/asterisk",
  "usr/share/asterisk",
];

export function isRootfsReady(root: string): boolean {
  const marker = join(root, ROOTFS_MARKER);
  if (!existsSync(marker)) return false;
  try {
    return (JSON.parse(readFileSync(marker, "utf8")) as { version?: string }).version === ROOTFS_VERSION;
  } catch {
    return false;
  }
}

/**
 * Makes sure `settings.rootfs` is a finished chroot. Builds into a temporary folder and renames it
 * into place only when complete, so an interrupted build is never mistaken for a good one.
 */
export function ensureRootfs(settings: TestbedSettings): void {
  const { rootfs, cacheDir } = settings;
  if (isRootfsReady(rootfs)) return;
  mkdirSync(cacheDir, { recursive: true });
  removeStaleBuilds(cacheDir);
  if (existsSync(rootfs)) {
    say(`discarding unfinished or outdated ${rootfs}`);
    removeChroot(rootfs);
  }
  const build = join(cacheDir, `rootfs.build-${process.pid}`);
  const partial = join(cacheDir, "rootfs.partial");
  const started = Date.now();
  try {
    if (existsSync(join(partial, "usr/sbin/asterisk")) && existsSync(join(partial, "usr/bin/sipp"))) {
      say(`adopting the pre-built ${partial}`);
      unmountAllUnder(partial);
      renameSync(partial, build);
    } else {
      bootstrap(build);
    }
    finishChroot(build);
    unmountAllUnder(build);
    renameSync(build, rootfs);
  } catch (error) {
    unmountAllUnder(build);
    throw error;
  }
  say(`chroot ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${rootfs}`);
}

function bootstrap(dir: string): void {
  ensureHostPackage("debootstrap", "debootstrap");
  const mirror = hostDebianMirror();
  say(`debootstrap sid from ${mirror} (about 30 s)`);
  runChecked("debootstrap", ["--variant=minbase", "--include=ca-certificates", "sid", dir, mirror]);
  copyFileSync("/etc/resolv.conf", join(dir, "etc/resolv.conf"));
  mountChrootFilesystems(dir);
  try {
    say(`apt-get install ${PACKAGES.join(" ")} inside the chroot (about 20 s)`);
    const env = ["env", "DEBIAN_FRONTEND=noninteractive"];
    runChecked("chroot", [dir, ...env, "apt-get", ...APT_OPTIONS, "update"]);
    runChecked("chroot", [
      dir,
      ...env,
      "apt-get",
      ...APT_OPTIONS,
      "install",
      "-y",
      "--no-install-recommends",
      ...PACKAGES,
    ]);
    runChecked("chroot", [dir, "apt-get", "clean"]);
  } finally {
    unmountAllUnder(dir);
  }
}

/** One-time fixes from TESTBED.md: root-owned Asterisk folders, and the folders Asterisk expects. */
function finishChroot(dir: string): void {
  if (!existsSync(join(dir, "usr/sbin/asterisk"))) throw new Error(`${dir} has no Asterisk`);
  const present = ASTERISK_DIRS.map((d) => join(dir, d)).filter((d) => existsSync(d));
  runChecked("chown", ["-R", "root:root", ...present]);
  for (const sub of ["/var/run/asterisk", "/var/spool/asterisk/recording", "/tmp/itgrix-sipp"]) {
    mkdirSync(chrootPath(dir, sub), { recursive: true });
  }
  const version = runChecked("chroot", [dir, "/usr/sbin/asterisk", "-V"]).trim();
  const marker = { version: ROOTFS_VERSION, asterisk: version, builtAt: new Date().toISOString() };
  writeFileSync(join(dir, ROOTFS_MARKER), JSON.stringify(marker) + "\n");
}

function removeStaleBuilds(cacheDir: string): void {
  for (const name of readdirSync(cacheDir).filter((n) => n.startsWith("rootfs.build-"))) {
    say(`removing the interrupted build ${name}`);
    removeChroot(join(cacheDir, name));
  }
}

function removeChroot(dir: string): void {
  unmountAllUnder(dir);
  rmSync(dir, { recursive: true, force: true });
}
