import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

/** The testbed's recording spool: which files a run made, and removing them afterwards. */

export function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: "utf8" }).map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** The recordings this run made (hundreds of MB in a long run); older files are never touched. */
export function removeNewFiles(dir: string, before: Set<string>, since: number): void {
  for (const file of listFiles(dir)) {
    if (before.has(file)) continue;
    try {
      const st = statSync(file);
      if (st.isFile() && st.mtimeMs >= since) rmSync(file, { force: true });
    } catch {
      /* gone already */
    }
  }
}
