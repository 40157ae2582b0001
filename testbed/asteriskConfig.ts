import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { renderPjsipConf } from "./pjsipConfig.ts";
import type { TestbedSettings } from "./settings.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function repoFile(path: string): string {
  return readFileSync(join(REPO, path), "utf8");
}

/** Replaces one `key = value` line of an ini file, failing loudly if the template no longer has it. */
function setIniValue(text: string, key: string, value: string): string {
  const pattern = new RegExp(`^(${key}\\s*=\\s*).*$`, "m");
  if (!pattern.test(text)) throw new Error(`template has no "${key} =" line`);
  return text.replace(pattern, `$1${value}`);
}

/** The files the testbed puts into the chroot's /etc/asterisk, rendered for its test ports. */
export function renderAsteriskConfig(settings: TestbedSettings): Map<string, string> {
  let http = repoFile("ari-config/http.conf");
  http = setIniValue(http, "bindaddr", "127.0.0.1");
  http = setIniValue(http, "bindport", String(settings.ariPort));
  const ari = setIniValue(repoFile("ari-config/ari.conf"), "password", settings.ariPassword);
  if (!ari.includes(`[${settings.ariUser}]`))
    throw new Error(`ari-config/ari.conf has no [${settings.ariUser}] user`);
  return new Map([
    ...recordsConfig(settings),
    ["http.conf", http],
    ["ari.conf", ari],
    ["extensions_itgrix.conf", repoFile("dialplan/extensions_itgrix.conf")],
    ["extensions_itgrix_observe.conf", repoFile("dialplan/extensions_itgrix_observe.conf")],
    ["queues.conf", repoFile("dialplan/queues_itgrix_observe.conf")],
    ["extensions.conf", repoFile("testbed/asterisk/extensions.conf")],
    ["modules.conf", repoFile("testbed/asterisk/modules.conf")],
    ["rtp.conf", repoFile("testbed/asterisk/rtp.conf")],
    ["pjsip.conf", renderPjsipConf({ sipPort: settings.sipPort, qualifyFrequency: settings.qualifySeconds })],
  ]);
}

/** CDR and CEL into the testbed's PostgreSQL: the admin's snippets of cdr-cel-config/, pointed at it. */
function recordsConfig(settings: TestbedSettings): [string, string][] {
  const database = (file: string) => {
    let text = repoFile(`cdr-cel-config/${file}`);
    text = setIniValue(text, "hostname", "127.0.0.1");
    text = setIniValue(text, "port", String(settings.pgPort));
    text = setIniValue(text, "dbname", settings.pgDatabase);
    text = setIniValue(text, "user", settings.pgUser);
    return setIniValue(text, "password", settings.pgPassword);
  };
  return [
    ["cdr.conf", repoFile("cdr-cel-config/cdr.conf")],
    ["cel.conf", repoFile("cdr-cel-config/cel.conf")],
    ["cdr_pgsql.conf", database("cdr_pgsql.conf")],
    ["cel_pgsql.conf", database("cel_pgsql.conf")],
  ];
}

/**
 * The testbed's Asterisk has a `systemname`, like a PBX in a cluster of several: its uniqueids (and so
 * linkedids) start with `<systemname>-`, and the app's default server id is that name, so its call ids
 * are the linkedids themselves. Set in the package's own asterisk.conf (read only at start).
 */
export const TESTBED_SYSTEM_NAME = "tb1";

function withSystemName(settings: TestbedSettings): [string, string][] {
  const path = join(settings.rootfs, "etc/asterisk/asterisk.conf");
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  const line = `systemname = ${TESTBED_SYSTEM_NAME}`;
  const pattern = /^;?\s*systemname\s*=.*$/m;
  if (!pattern.test(text)) throw new Error("asterisk.conf has no systemname line");
  return [["asterisk.conf", text.replace(pattern, line)]];
}

/** Files whose change needs an Asterisk restart (a reload does not read them). */
export const RESTART_FILES = ["asterisk.conf"];

/** Writes the rendered files into the chroot; returns the names of the files that changed. */
export function installAsteriskConfig(settings: TestbedSettings): string[] {
  const changed: string[] = [];
  for (const [name, content] of [...renderAsteriskConfig(settings), ...withSystemName(settings)]) {
    const path = join(settings.rootfs, "etc/asterisk", name);
    if (existsSync(path) && readFileSync(path, "utf8") === content) continue;
    writeFileSync(path, content);
    changed.push(name);
  }
  return changed;
}
