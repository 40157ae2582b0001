/**
 * The testbed's dialplan sends every call to ONE Stasis application name (`itgrix`), and Asterisk
 * gives that name to the last websocket that registered it (`ApplicationReplaced` for the others).
 * Two processes running the app against the same testbed therefore steal each other's calls, whatever
 * extensions they use. `npm test` runs files one at a time; this guard covers a shared development
 * testbed: before an end-to-end stack starts, it waits while another process on this machine runs
 * the app (`app/main.ts`, the demo, an app/e2e integration test file).
 */
import { readdirSync, readFileSync } from "node:fs";

const MARKERS = ["app/main.ts", "demo/main.ts", "test/integration/app/", "test/integration/e2e/"];

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return 0;
  }
}

function ancestorsOfSelf(): Set<number> {
  const out = new Set<number>();
  for (let pid = process.pid; pid > 1 && !out.has(pid); pid = parentOf(pid)) out.add(pid);
  return out;
}

/** Node processes (not test-runner parents) running the app against the testbed, other than us. */
export function otherAppProcesses(): { pid: number; cmd: string }[] {
  let pids: number[];
  try {
    pids = readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return []; // not Linux: no guard
  }
  const mine = ancestorsOfSelf();
  const found: { pid: number; cmd: string }[] = [];
  for (const pid of pids) {
    if (mine.has(pid)) continue;
    const argv = cmdline(pid);
    if (!/(^|\/)node$/.test(argv[0] ?? "") || argv.includes("--test")) continue;
    const cmd = argv.join(" ");
    if (MARKERS.some((m) => cmd.includes(m))) found.push({ pid, cmd });
  }
  return found;
}

/**
 * Waits (up to `maxWaitMs`, default 10 min, env ITGRIX_E2E_GUARD_MS) until no other process runs
 * the app; then returns, logging what it waited for. Never touches the other processes.
 */
export async function waitForExclusiveAri(
  maxWaitMs = Number(process.env.ITGRIX_E2E_GUARD_MS ?? 600_000),
): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  let reported = false;
  for (;;) {
    const others = otherAppProcesses();
    if (others.length === 0) return;
    if (Date.now() > deadline) {
      process.stderr.write(
        `e2e: still sharing the Stasis app with ${others.map((o) => o.pid).join(", ")}; going on\n`,
      );
      return;
    }
    if (!reported) {
      process.stderr.write(
        `e2e: waiting for other itgrix app processes to finish: ${others.map((o) => o.cmd).join(" | ")}\n`,
      );
      reported = true;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}
