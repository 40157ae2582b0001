import { readdir } from "node:fs/promises";
import { basename, extname, join } from "node:path";

/**
 * Which files of the customization folder are customizations: the top level's `*.ts`, `*.mts`, `*.js`
 * and `*.mjs`, except declaration files, tests (`*.test.*`, `*.spec.*`) and names starting with `_`
 * or `.` (helpers; put shared code there or in a subfolder). A module's name is its file name without
 * the extension: letters, digits, `_` and `-`, starting with a letter.
 */

export const ENTRY_EXTENSIONS = [".ts", ".mts", ".js", ".mjs"] as const;
const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

export interface EntryFile {
  name: string;
  file: string;
  typescript: boolean;
}

export async function listEntryFiles(folder: string): Promise<{ entries: EntryFile[]; ignored: string[] }> {
  const dirents = await readdir(folder, { withFileTypes: true });
  const entries: EntryFile[] = [];
  const ignored: string[] = [];
  for (const d of dirents.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!d.isFile()) continue;
    const ext = extname(d.name);
    if (!(ENTRY_EXTENSIONS as readonly string[]).includes(ext)) continue;
    if (/\.d\.m?ts$/.test(d.name) || /\.(test|spec)\.m?[jt]s$/.test(d.name)) continue;
    if (d.name.startsWith("_") || d.name.startsWith(".")) continue;
    const name = basename(d.name, ext);
    if (!NAME.test(name)) {
      ignored.push(d.name);
      continue;
    }
    entries.push({ name, file: join(folder, d.name), typescript: ext === ".ts" || ext === ".mts" });
  }
  const seen = new Set<string>();
  const unique = entries.filter((e) => (seen.has(e.name) ? (ignored.push(e.file), false) : seen.add(e.name)));
  return { entries: unique, ignored };
}
