import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { runChecked, runQuiet } from "./run.ts";

const BIND_MOUNTS = ["proc", "dev"];

/** Mount points at or below `dir` (deepest first), as findmnt reports them. */
export function mountsUnder(dir: string): string[] {
  const result = runQuiet("findmnt", ["-rn", "-o", "TARGET"]);
  return result.stdout
    .split("\n")
    .map((line) => line.trim().replace(/\\x20/g, " "))
    .filter((target) => target === dir || target.startsWith(dir + "/"))
    .sort((a, b) => b.length - a.length);
}

export function mountChrootFilesystems(root: string): void {
  const mounted = new Set(mountsUnder(root));
  for (const name of BIND_MOUNTS) {
    const target = join(root, name);
    if (mounted.has(target)) continue;
    if (!existsSync(target)) mkdirSync(target, { recursive: true });
    runChecked("mount", ["--bind", `/${name}`, target]);
  }
}

/**
 * Lazily unmounts everything below `dir`. Must run before anything deletes or re-creates a chroot:
 * `rm -rf` through a live bind mount of /dev deletes the host's device nodes.
 */
export function unmountAllUnder(dir: string): void {
  for (const target of mountsUnder(dir)) runChecked("umount", ["-l", target]);
  const left = mountsUnder(dir);
  if (left.length > 0) throw new Error(`still mounted under ${dir}: ${left.join(", ")}`);
}
