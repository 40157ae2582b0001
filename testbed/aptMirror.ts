import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The Debian mirror this machine already uses, read from its apt configuration, so a closed network's
 * local mirror is used automatically and no host name is written into the code.
 */
export function hostDebianMirror(aptDir = "/etc/apt"): string {
  const candidates = [...deb822Uris(join(aptDir, "sources.list.d")), ...oneLineUris(aptDir)];
  const mirror = candidates.find((uri) => !/security/.test(uri)) ?? candidates[0];
  if (!mirror)
    throw new Error(`no Debian mirror found in ${aptDir}/sources.list(.d); set one up for apt first`);
  return mirror;
}

function deb822Uris(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const uris: string[] = [];
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith(".sources"))
    .sort()) {
    for (const line of readFileSync(join(dir, file), "utf8").split("\n")) {
      const match = /^URIs:\s*(.+)$/i.exec(line.trim());
      if (match?.[1]) uris.push(...match[1].split(/\s+/));
    }
  }
  return uris;
}

function oneLineUris(aptDir: string): string[] {
  const files = [join(aptDir, "sources.list")];
  const dir = join(aptDir, "sources.list.d");
  if (existsSync(dir))
    files.push(
      ...readdirSync(dir)
        .filter((n) => n.endsWith(".list"))
        .map((n) => join(dir, n)),
    );
  const uris: string[] = [];
  for (const file of files.filter((f) => existsSync(f))) {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      // deb [options] uri suite components
      const match = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line.trim());
      if (match?.[1]) uris.push(match[1]);
    }
  }
  return uris;
}
