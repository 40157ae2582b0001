/**
 * The testbed's dialplan sends every call to ONE Stasis application name (`itgrix`), and Asterisk
 * gives that name to the last websocket that registered it (`ApplicationReplaced` for the others).
 * Two processes running the app against the same testbed therefore steal each other's calls, whatever
 * extensions they use. `npm test` runs files one at a time; this guard covers a shared development
 * testbed: before an end-to-end stack starts, it waits while another process on this machine runs
 * the app (`app/main.ts` or the compiled `dist/app/main.js`, the demo, an app/e2e/ops integration test
 * file).
 *
 * It cannot deadlock: the app and the demo never wait, and a test file waits only for test files
 * that started before it (older start time, then lower pid), so of two runs that meet, the one that
 * started later waits and the other goes on.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const APP_MARKERS = ["app/main.ts", "dist/app/main.js", "demo/main.ts"];
const TEST_MARKERS = [
  "test/integration/app/",
  "test/integration/e2e/",
  "test/integration/chaos/",
  "test/integration/ops/",
  "test/integration/records/",
];

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** Fields 3… of /proc/<pid>/stat (after the command name), or [] when the process is gone. */
function statFields(pid: number): string[] {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return [];
  }
}

/**
 * The network namespace of a process. A process in another namespace has its own 127.0.0.1, hence its
 * own testbed (several developers or CI jobs on one host): it never shares our Asterisk.
 */
function netNamespaceOf(pid: number | "self"): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number {
  return Number(statFields(pid)[1] ?? 0);
}

/** Start time in clock ticks since boot (field 22). */
function startTimeOf(pid: number): number {
  return Number(statFields(pid)[19] ?? 0);
}

/** Whether process `a` started before process `b` (a total order: ties go to the lower pid). */
function startedBefore(a: number, b: number): boolean {
  const [ta, tb] = [startTimeOf(a), startTimeOf(b)];
  return ta !== tb ? ta < tb : a < b;
}

function ancestorsOfSelf(): Set<number> {
  const out = new Set<number>();
  for (let pid = process.pid; pid > 1 && !out.has(pid); pid = parentOf(pid)) out.add(pid);
  return out;
}

/**
 * Node processes (not test-runner parents) this one must wait for: any running the app or the demo,
 * and test files running the app that started before this one.
 */
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
  const ownNet = netNamespaceOf("self");
  const found: { pid: number; cmd: string }[] = [];
  for (const pid of pids) {
    if (mine.has(pid)) continue;
    const argv = cmdline(pid);
    if (!/(^|\/)node$/.test(argv[0] ?? "") || argv.includes("--test")) continue;
    if (ownNet !== undefined && netNamespaceOf(pid) !== ownNet) continue;
    const cmd = argv.join(" ");
    const app = APP_MARKERS.some((m) => cmd.includes(m));
    const olderTest = TEST_MARKERS.some((m) => cmd.includes(m)) && startedBefore(pid, process.pid);
    if (app || olderTest) found.push({ pid, cmd });
  }
  return found;
}

/**
 * Waits (up to `maxWaitMs`, default 10 min, env ITGRIX_E2E_GUARD_MS) until no process it must wait
 * for runs; then returns, logging what it waited for. Never touches the other processes.
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
