import { mkdirSync, openSync, closeSync, rmSync } from "node:fs";
import { join } from "node:path";
import { isAlive, readPid } from "./pidFile.ts";
import { say } from "./run.ts";
import { writeFileSync } from "node:fs";

/** Serializes `up`/`down` between processes (two test runs starting the testbed at once). */
export async function withLock<T>(dir: string, action: () => Promise<T>): Promise<T> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "testbed.lock");
  let announced = false;
  for (;;) {
    try {
      closeSync(openSync(path, "wx"));
      writeFileSync(path, String(process.pid));
      break;
    } catch {
      const owner = readPid(path);
      if (owner === undefined || !isAlive(owner)) {
        rmSync(path, { force: true });
        continue;
      }
      if (!announced) say(`waiting for another testbed command (pid ${owner})`);
      announced = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await action();
  } finally {
    rmSync(path, { force: true });
  }
}
