import { demoClickToCall, isDemoClick } from "./clickToCall.ts";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDemoArgs, type DemoArgs } from "./args.ts";
import { callMix, generateCallMix, type Directory, type PlannedCall } from "./callMix.ts";
import { checkCalls, pendingCalls, summaryPassed, type EmulatorCall, type PlacedCall } from "./crmCheck.ts";
import { LiveLog } from "./liveLog.ts";
import { DemoPhones } from "./phones.ts";
import { runCalls } from "./runner.ts";
import { startStack, type Stack } from "./stack.ts";

/**
 * `npm run demo [-- --calls N --exit]`: the whole connector on a real Asterisk with sipp phones and
 * the Bitrix24 emulator, placing a realistic mix of calls and showing what reaches the CRM.
 */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SEED_FILE = "emulator/seeds/callcentre.json";
const say = (line: string) => process.stdout.write(`${line}\n`);

let stack: Stack | undefined;
let phones: DemoPhones | undefined;
let stopping = false;

/** Exit code, and the JSON summary line that must be the very last line (--exit). */
interface Outcome {
  code: number;
  summaryLine?: string;
}

async function main(): Promise<Outcome> {
  const args = parseDemoArgs(process.argv.slice(2));
  const directory = readDirectory();
  stack = await startStack({
    repo: REPO,
    httpPort: args.httpPort,
    emulatorPort: args.emulatorPort,
    workers: args.workers,
    log: say,
  });
  phones = await DemoPhones.start(JSON.stringify(stack.testbed));
  say(`phones: operators 101-120 and Support 301-303 (sipp), outside world on the trunk`);
  say("");
  say(`  status:   ${stack.statusUrl}        (curl -s ${stack.statusUrl} | jq .)`);
  say(
    `  dashboard: ${stack.dashboardUrl}  (log in as admin, password: jq -r .http.adminPassword ${stack.configFile})`,
  );
  say(`  metrics:  ${stack.dashboardUrl.replace(/dashboard\/$/, "metrics")}  (Prometheus; same login)`);
  say(`  portal:   ${stack.portalUrl}/_emulator/state`);
  say(`  config:   ${stack.configFile} (admin password inside)`);
  say(`  logs:     ${stack.runDir}`);
  say(args.calls === undefined ? "  placing calls until Ctrl-C…" : `  placing ${args.calls} calls…`);
  say("");

  const click = await demoClickToCall(
    stack.portalUrl,
    stack.statusUrl.replace(/\/status$/, ""),
    stack.testbed,
  );
  say(click.line);
  if (!click.ok && args.exit) return { code: 1, summaryLine: click.line };
  const mix: Iterable<PlannedCall> =
    args.calls === undefined
      ? callMix({ seed: args.seed, directory })
      : generateCallMix(args.calls, { seed: args.seed, directory });
  const live = new LiveLog({ print: say, extensionOf: extensionLookup(directory), overdueMs: 120_000 });
  const portal = stack.portalUrl;
  const poller = setInterval(() => {
    void crmCalls(portal)
      .then((calls) => live.update(calls))
      .catch(() => undefined);
  }, 2000);
  const s = stack;
  const p = phones;
  const placed = await runCalls(mix, {
    concurrency: args.concurrency,
    spacingMs: args.spacingMs,
    place: (call) => p.place(call),
    onEnded: (record, end) => {
      live.ended(record, end);
      const dead = s.processes.exited();
      if (dead.length > 0) {
        say(`!! ${dead.map((d) => `${d.name} exited (code ${d.code}), see ${d.logFile}`).join("; ")}`);
      }
    },
    stopping: () => stopping,
  });
  clearInterval(poller);
  if (!args.exit) return { code: 0 };
  return verify(args, placed, s, live);
}

async function verify(args: DemoArgs, placed: PlacedCall[], s: Stack, live: LiveLog): Promise<Outcome> {
  say(`all ${placed.length} calls placed; waiting for the CRM (at most ${args.settleTimeoutSec} s)…`);
  const deadline = Date.now() + args.settleTimeoutSec * 1000;
  let calls = await crmCalls(s.portalUrl);
  while (pendingCalls(placed, calls).length > 0 && Date.now() < deadline && !stopping) {
    await sleep(1000);
    calls = await crmCalls(s.portalUrl);
    live.update(calls);
  }
  // Jobs still queued could still register a second CRM call: wait until the queue is idle.
  while (Date.now() < deadline && !stopping && !(await queueIdle(s.statusUrl))) await sleep(1000);
  await sleep(3000);
  calls = await crmCalls(s.portalUrl);
  live.update(calls, Number.MAX_SAFE_INTEGER);
  const { verdicts, summary } = checkCalls(
    placed,
    calls.filter((c) => !isDemoClick(c)),
  );
  for (const v of verdicts.filter((x) => x.problems.length > 0)) {
    say(`call #${v.seq}: ${v.problems.map((x) => `${x.kind}: ${x.detail}`).join("; ")}`);
  }
  const status = await fetch(s.statusUrl)
    .then((r) => r.json() as Promise<{ status?: string; problems?: string[] }>)
    .catch(() => ({ status: "unreachable", problems: [] }));
  say(`/status: ${status.status} ${JSON.stringify(status.problems ?? [])}`);
  return { code: summaryPassed(summary) ? 0 : 1, summaryLine: JSON.stringify(summary) };
}

async function crmCalls(portalUrl: string): Promise<EmulatorCall[]> {
  const res = await fetch(`${portalUrl}/_emulator/state`);
  if (!res.ok) throw new Error(`emulator state: HTTP ${res.status}`);
  return ((await res.json()) as { calls?: EmulatorCall[] }).calls ?? [];
}

async function queueIdle(statusUrl: string): Promise<boolean> {
  try {
    const s = (await (await fetch(statusUrl)).json()) as {
      queues?: { lifecycle?: { waiting?: number | null; active?: number | null; delayed?: number | null } };
    };
    const q = s.queues?.lifecycle;
    return (q?.waiting ?? 1) + (q?.active ?? 1) + (q?.delayed ?? 1) === 0;
  } catch {
    return false;
  }
}

function readDirectory(): Directory {
  const seed = JSON.parse(readFileSync(resolve(REPO, SEED_FILE), "utf8")) as {
    users: { ID: number; UF_PHONE_INNER?: string; ACTIVE?: boolean }[];
  };
  return Object.fromEntries(seed.users.filter((u) => u.UF_PHONE_INNER).map((u) => [u.UF_PHONE_INNER!, u.ID]));
}

function extensionLookup(directory: Directory): (userId: number) => string | undefined {
  const byId = new Map(Object.entries(directory).map(([ext, id]) => [id, ext]));
  return (id) => byId.get(id);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cleanUp(): Promise<void> {
  await phones?.stop().catch(() => undefined);
  await stack?.stop().catch(() => undefined);
  process.stderr.write(
    "stopped the demo's processes (app, workers, emulator, sipp); the testbed stays up: npm run testbed -- down\n",
  );
}

process.on("SIGINT", () => {
  if (stopping) {
    stack?.processes.killAllNow();
    process.exit(130);
  }
  stopping = true;
  say("stopping after the calls in progress… (Ctrl-C again to kill at once)");
});
process.on("SIGTERM", () => {
  stopping = true;
});
process.on("exit", () => stack?.processes.killAllNow());

main()
  .then(async ({ code, summaryLine }) => {
    await cleanUp();
    if (summaryLine) say(summaryLine);
    process.exit(code);
  })
  .catch(async (err: unknown) => {
    process.stderr.write(`demo failed: ${(err as Error).message}\n`);
    await cleanUp();
    process.exit(2);
  });
