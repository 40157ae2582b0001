import { commandExists, runChecked, runQuiet, say } from "./run.ts";

/** Installs a Debian package on the host with apt, only when its command is missing. */
export function ensureHostPackage(command: string, aptPackage: string): void {
  if (commandExists(command)) return;
  say(`installing ${aptPackage} on the host (apt-get)`);
  const env = ["env", "DEBIAN_FRONTEND=noninteractive"];
  const first = runQuiet(env[0]!, [
    env[1]!,
    "apt-get",
    "install",
    "-y",
    "--no-install-recommends",
    aptPackage,
  ]);
  if (first.status !== 0) {
    runChecked(env[0]!, [env[1]!, "apt-get", "update"]);
    runChecked(env[0]!, [env[1]!, "apt-get", "install", "-y", "--no-install-recommends", aptPackage]);
  }
  if (!commandExists(command)) throw new Error(`${aptPackage} installed but ${command} is still missing`);
}

/** Installs a Debian package on the host when `isPresent` says what it provides is missing. */
export function ensureHostPackageWith(isPresent: () => boolean, aptPackage: string, what: string): void {
  if (isPresent()) return;
  say(`installing ${aptPackage} on the host (apt-get)`);
  const install = ["DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "--no-install-recommends"];
  if (runQuiet("env", [...install, aptPackage]).status !== 0) {
    runChecked("env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "update"]);
    runChecked("env", [...install, aptPackage]);
  }
  if (!isPresent()) throw new Error(`${aptPackage} installed but the ${what} are still missing`);
}
