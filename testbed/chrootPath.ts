import { lstatSync, readlinkSync } from "node:fs";
import { isAbsolute, join, posix } from "node:path";

/**
 * The host path of `path` as seen inside the chroot `root`, following symlinks the chroot's way:
 * Debian's `/var/run` is a symlink to the absolute `/run`, which on the host would be the host's /run.
 */
export function chrootPath(root: string, path: string): string {
  const parts = posix.normalize(path).split("/").filter(Boolean);
  let inside = "";
  for (let i = 0; i < parts.length; i++) {
    inside = posix.join(inside || "/", parts[i]!);
    for (let hops = 0; hops < 20; hops++) {
      let target: string;
      try {
        if (!lstatSync(join(root, inside)).isSymbolicLink()) break;
        target = readlinkSync(join(root, inside));
      } catch {
        break;
      }
      inside = isAbsolute(target) ? posix.normalize(target) : posix.join(posix.dirname(inside), target);
    }
  }
  return join(root, inside || "/");
}
