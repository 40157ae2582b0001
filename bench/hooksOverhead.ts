/**
 * `npm run bench:hooks [-- --json]`: what the hook system costs the workers per reconcile round.
 * A round asks the decisions a finished call needs (scope, client number, line, register user, card
 * audience, responsible, duration, status) — directly (today's planner), through CallDecisions with
 * no customization (the fast path every installation without hooks gets), and with one pass-through
 * customization on every point. The current planner (planSteps) on the same call puts the figures in
 * proportion; a real round also waits for Redis and the portal (milliseconds). Median of 7 samples.
 */
import { parseArgs } from "node:util";
import { foldCallEvents } from "../core/calls/reducer.ts";
import {
  callOutcome,
  cardAudience,
  isCrmCall,
  registerUser,
  responsibleUser,
  statusCode,
  talkDurationSec,
} from "../core/calls/decisions/index.ts";
import type { CallEvent, CallState } from "../core/calls/types.ts";
import { parseConfig } from "../core/config/loadConfig.ts";
import type { HookMap, HookPointName } from "../core/hooks/api.ts";
import { CallDecisions } from "../core/hooks/callDecisions.ts";
import { HOOK_POINT_NAMES } from "../core/hooks/points.ts";
import { HookRunner } from "../core/hooks/runner.ts";
import { createLogger } from "../core/logging/logger.ts";
import { normaliseClientNumber } from "../core/numbers/index.ts";
import { planSteps } from "../workers/calls/planSteps.ts";
import { emptyJournal } from "../workers/calls/journal.ts";

const { values } = parseArgs({ options: { json: { type: "boolean", default: false } } });

const T0 = Date.parse("2025-03-03T09:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
/** Ring-all of three, 102 answers, a blind transfer to 103, a recording: a busy but ordinary call. */
const events: CallEvent[] = [
  {
    type: "callStarted",
    at: at(0),
    callId: "1741000000.42",
    direction: "inbound",
    clientNumber: "84951234567",
    lineNumber: "74950000000",
  },
  ...["101", "102", "103"].map((e): CallEvent => ({
    type: "legDialled",
    at: at(0.1),
    legId: `leg-${e}`,
    extension: e,
    purpose: "group",
  })),
  { type: "legAnswered", at: at(5), legId: "leg-102" },
  { type: "conversationStarted", at: at(5), legId: "leg-102" },
  { type: "legEnded", at: at(5.1), legId: "leg-101", result: "answeredElsewhere" },
  { type: "legEnded", at: at(5.1), legId: "leg-103", result: "answeredElsewhere" },
  { type: "transferred", at: at(60), kind: "blind", fromExtension: "102", toExtension: "104" },
  { type: "conversationEnded", at: at(60), legId: "leg-102", reason: "transferred" },
  { type: "legDialled", at: at(60.2), legId: "leg-104", extension: "104", purpose: "transfer" },
  { type: "legAnswered", at: at(65), legId: "leg-104" },
  { type: "conversationStarted", at: at(65), legId: "leg-104" },
  { type: "callEnded", at: at(125), hangupBy: "client" },
];
const call: CallState = foldCallEvents(events);
const config = parseConfig({});
const directory = { userIdByExtension: (ext: string) => (/^10\d$/.test(ext) ? Number(ext) - 99 : undefined) };
const logger = createLogger("bench", "error");

function direct(): unknown {
  const modeFor = () => "ring" as const;
  return [
    isCrmCall(call, { registerInternal: false }),
    normaliseClientNumber(call.clientNumber, { defaultRegion: "RU", rewrite: config.numbers.clientRewrite }),
    call.lineNumber,
    registerUser(call, directory, {}),
    cardAudience(call, directory, modeFor),
    responsibleUser(call, directory, {}),
    talkDurationSec(call),
    statusCode(call),
    callOutcome(call),
  ];
}

async function hooked(runner: HookRunner): Promise<unknown> {
  const d = new CallDecisions({ runner, call, directory, config, cardModeFor: () => "ring" });
  return [
    await d.shouldProcess(),
    await d.clientNumber(),
    await d.line(),
    await d.registerUser(),
    await d.cardAudience(),
    await d.responsible(),
    await d.talkDuration(),
    await d.statusCode(),
  ];
}

function runnerWith(passThrough: boolean): HookRunner {
  const runner = new HookRunner({ logger, config });
  if (passThrough) {
    const hooks = Object.fromEntries(
      HOOK_POINT_NAMES.map((p: HookPointName) => [p, () => undefined]),
    ) as HookMap<unknown>;
    runner.use([{ name: "passThrough", origin: "folder", options: {}, hooks }]);
  }
  return runner;
}

interface Figure {
  /** Wall-clock ns per operation. */
  wallNs: number;
  /** CPU (user + system) ns per operation: what the process itself spent, less disturbed by a busy machine. */
  cpuNs: number;
}

/** Per operation: medians of 7 samples of `n` operations each, after a warm-up. */
async function measure(n: number, op: () => unknown | Promise<unknown>): Promise<Figure> {
  for (let i = 0; i < n; i++) await op();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let s = 0; s < 7; s++) {
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < n; i++) await op();
    const used = process.cpuUsage(cpuStart);
    wall.push(Number(process.hrtime.bigint() - start) / n);
    cpu.push(((used.user + used.system) * 1000) / n);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[3]!;
  return { wallNs: median(wall), cpuNs: median(cpu) };
}

const empty = runnerWith(false);
const passThrough = runnerWith(true);
const journal = {
  ...emptyJournal(call.callId),
  bxCallId: "c1",
  registeredFor: 3,
  register: { doneAt: at(1) },
};
const figures = {
  planStepsNs: await measure(5_000, () => planSteps(call, journal, directory, config)),
  decisionsDirectNs: await measure(5_000, direct),
  decisionsNoHooksNs: await measure(5_000, () => hooked(empty)),
  decisionsPassThroughNs: await measure(2_000, () => hooked(passThrough)),
  runFastPathNs: await measure(100_000, () => empty.run("talkDuration", { call, input: {}, value: 60 })),
  runPassThroughNs: await measure(20_000, () =>
    passThrough.run("talkDuration", { call, input: {}, value: 60 }),
  ),
} satisfies Record<string, Figure>;

const us = (ns: number) => `${(ns / 1000).toFixed(2).padStart(9)} µs`;
const rows: [string, Figure][] = [
  ["planSteps (today's planner, finish round)", figures.planStepsNs],
  ["8 decisions, direct (today)", figures.decisionsDirectNs],
  ["8 decisions via hooks, none configured", figures.decisionsNoHooksNs],
  ["8 decisions via hooks, 1 pass-through each", figures.decisionsPassThroughNs],
  ["runner.run, no customization (fast path)", figures.runFastPathNs],
  ["runner.run, 1 pass-through customization", figures.runPassThroughNs],
];
process.stdout.write(`${"per operation".padEnd(46)}${"cpu".padStart(12)}${"wall".padStart(12)}\n`);
for (const [label, f] of rows) process.stdout.write(`${label.padEnd(46)}${us(f.cpuNs)}${us(f.wallNs)}\n`);
const overhead = figures.decisionsNoHooksNs.cpuNs - figures.decisionsDirectNs.cpuNs;
process.stdout.write(`fast-path overhead per round (cpu): ${us(overhead).trim()} for 8 decisions\n`);
if (values.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
