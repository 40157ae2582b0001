import {
  DEFAULT_USER_ID,
  GROUPS,
  IVR_EXTENSION_RING_SEC,
  OUTBOUND_OPERATORS,
  didOfGroup,
} from "./callCentre.ts";
import { clientNumberFor, pickScenario, seededRandom } from "../core/mix/seededMix.ts";

/**
 * The demo's call mix: a seeded, pure generator of calls with what the CRM must show for each
 * (user, status code, duration range), derived from the call centre of callCentre.ts.
 */

export type ScenarioName =
  | "ringallAnswered"
  | "sequentialAnswered"
  | "roundrobinAnswered"
  | "missed"
  | "callerAbandons"
  | "rejectSkipped"
  | "ivrExtension"
  | "ivrMissed"
  | "blindTransfer"
  | "transferToSupport"
  | "supportLine"
  | "outboundAnswered"
  | "outboundBusy"
  | "outboundNoAnswer";

export type ClientBehaviour = "answer" | "busy" | "noAnswer";

export interface Expectation {
  /** Bitrix24 user ids any of which is right (ring-all and round-robin winners vary). */
  userIds: number[];
  /** STATUS_CODE of finish. */
  statusCode: string;
  /** Accepted DURATION (seconds) of finish. */
  durationSec: { min: number; max: number };
}

export interface PlannedCall {
  seq: number;
  scenario: ScenarioName;
  direction: "inbound" | "outbound";
  /** The client's number: the caller ID of an inbound call, the dialled number of an outbound one. */
  clientNumber: string;
  /** Inbound: the DID dialled. */
  did?: string;
  /** Outbound: the operator extension that dials. */
  operator?: string;
  /** Outbound: how the client's phone reacts. */
  clientBehaviour?: ClientBehaviour;
  /** Digits the caller enters in the IVR. */
  ivrDigits?: string;
  /** The client hangs up this long after being answered. */
  talkMs: number;
  /** The client gives up after ringing this long (abandoned calls). */
  hangupAfterRingMs?: number;
  /** Every extension the call may ring: calls sharing one never run at the same time. */
  extensions: string[];
  /** One-line description for the live log, e.g. `sales ringall`. */
  label: string;
  expect: Expectation;
}

/** Relative weights of the realistic mix. */
export const SCENARIO_WEIGHTS: Record<ScenarioName, number> = {
  ringallAnswered: 18,
  sequentialAnswered: 10,
  roundrobinAnswered: 10,
  missed: 7,
  callerAbandons: 6,
  rejectSkipped: 6,
  ivrExtension: 6,
  ivrMissed: 5,
  blindTransfer: 7,
  transferToSupport: 7,
  supportLine: 3,
  outboundAnswered: 8,
  outboundBusy: 4,
  outboundNoAnswer: 3,
};

/** Extension → Bitrix24 user id (from the emulator's seed). */
export type Directory = Record<string, number>;

export interface MixOptions {
  seed: number;
  directory: Directory;
  /** Leave out scenarios the phones cannot play (e.g. no DTMF support → no IVR). */
  exclude?: ScenarioName[];
}

/** The endless mix: the first calls walk through every scenario once, then weighted random picks. */
export function* callMix(options: MixOptions): Generator<PlannedCall> {
  const random = seededRandom(options.seed);
  const names = (Object.keys(SCENARIO_WEIGHTS) as ScenarioName[]).filter(
    (n) => !options.exclude?.includes(n),
  );
  if (names.length === 0) throw new Error("every scenario is excluded");
  for (let seq = 1; ; seq++) {
    const scenario = pickScenario(seq, names, SCENARIO_WEIGHTS, random);
    yield planCall(seq, scenario, random, options.directory);
  }
}

export function generateCallMix(count: number, options: MixOptions): PlannedCall[] {
  const calls: PlannedCall[] = [];
  for (const call of callMix(options)) {
    if (calls.length >= count) break;
    calls.push(call);
  }
  return calls;
}

function planCall(seq: number, scenario: ScenarioName, random: () => number, dir: Directory): PlannedCall {
  const talkMs = 2000 + Math.floor(random() * 4) * 1000;
  if (isOutbound(scenario)) return outbound(seq, scenario, random, dir, talkMs);
  return INBOUND_PLANS[scenario]({ seq, scenario, dir, talkMs });
}

type OutboundScenario = "outboundAnswered" | "outboundBusy" | "outboundNoAnswer";
type InboundScenario = Exclude<ScenarioName, OutboundScenario>;

function isOutbound(scenario: ScenarioName): scenario is OutboundScenario {
  return scenario === "outboundAnswered" || scenario === "outboundBusy" || scenario === "outboundNoAnswer";
}

/** What an inbound plan is made of. */
interface InboundContext {
  seq: number;
  scenario: ScenarioName;
  dir: Directory;
  talkMs: number;
}

type InboundExtra = Pick<PlannedCall, "ivrDigits" | "hangupAfterRingMs"> & {
  extensions?: string[];
  label?: string;
};

/** A call to `group`'s DID that lasts `talk` ms for the client; it rings (and locks) the group. */
function inboundCall(
  c: InboundContext,
  group: string,
  talk: number,
  expect: Expectation,
  extra: InboundExtra = {},
): PlannedCall {
  const g = GROUPS[group]!;
  const { extensions = [], label = `${group} ${g.strategy}`, ...rest } = extra;
  return {
    seq: c.seq,
    scenario: c.scenario,
    direction: "inbound",
    clientNumber: clientNumberFor(c.seq),
    did: didOfGroup(group),
    talkMs: talk,
    extensions: [...g.members, ...extensions],
    label,
    expect,
    ...rest,
  };
}

/** Talked for `talkMs`: the CRM's DURATION within `slack` seconds of it. */
function answeredFor(talkMs: number, slack = 2): Expectation["durationSec"] {
  return { min: Math.max(0, talkMs / 1000 - slack), max: talkMs / 1000 + slack };
}

/** Not talked: a DURATION of 0 (or 1). */
function notTalked(): Expectation["durationSec"] {
  return { min: 0, max: 1 };
}

/** An answered call to `group` that one of `exts` takes. */
function answeredBy(group: string, ...exts: string[]): (c: InboundContext) => PlannedCall {
  return (c) =>
    inboundCall(c, group, c.talkMs, {
      userIds: exts.map((e) => userOf(c.dir, e)),
      statusCode: "200",
      durationSec: answeredFor(c.talkMs),
    });
}

/** The client holds for `hold` ms, part of it in an IVR or with a first operator: only a bound. */
function heldFor(hold: number, ...exts: string[]): (c: InboundContext) => Expectation {
  return (c) => ({
    userIds: exts.map((e) => userOf(c.dir, e)),
    statusCode: "200",
    durationSec: { min: 1, max: hold / 1000 + 2 },
  });
}

const INBOUND_PLANS: Record<InboundScenario, (c: InboundContext) => PlannedCall> = {
  ringallAnswered: answeredBy("sales", "101", "102", "103"),
  sequentialAnswered: answeredBy("service", "106"),
  roundrobinAnswered: answeredBy("orders", "107", "108", "109"),
  missed: (c) =>
    inboundCall(c, "night", 30_000, {
      userIds: [userOf(c.dir, "110"), userOf(c.dir, "111")],
      statusCode: "304",
      durationSec: notTalked(),
    }),
  callerAbandons: (c) =>
    inboundCall(
      c,
      "night",
      30_000,
      { userIds: [userOf(c.dir, "110"), userOf(c.dir, "111")], statusCode: "304", durationSec: notTalked() },
      { hangupAfterRingMs: 3000, label: "night ringall, caller abandons" },
    ),
  rejectSkipped: answeredBy("vip", "113"),
  ivrExtension: (c) => {
    // The IVR answers the caller first; the talk with 116 is the hold time minus IVR and ringing.
    const hold = c.talkMs + 8000;
    return inboundCall(c, "reception", hold, heldFor(hold, "116")(c), {
      ivrDigits: "116",
      extensions: ["116"],
      label: "IVR → 116",
    });
  },
  ivrMissed: (c) => {
    const hold = c.talkMs + 8000 + IVR_EXTENSION_RING_SEC * 1000;
    return inboundCall(c, "reception", hold, heldFor(hold, "114", "115")(c), {
      ivrDigits: "117",
      extensions: ["117"],
      label: "IVR → 117 missed → reception",
    });
  },
  blindTransfer: (c) => {
    const hold = c.talkMs + 6000;
    return inboundCall(c, "transfers", hold, heldFor(hold, "119")(c), {
      extensions: ["119"],
      label: "118 blind transfer → 119",
    });
  },
  transferToSupport: (c) => {
    const hold = c.talkMs + 6000;
    return inboundCall(c, "escalation", hold, heldFor(hold, "120")(c), {
      extensions: ["301"],
      label: "120 blind transfer → Support 301",
    });
  },
  supportLine: (c) =>
    inboundCall(c, "support", c.talkMs, {
      userIds: [DEFAULT_USER_ID],
      statusCode: "200",
      durationSec: answeredFor(c.talkMs),
    }),
};

function outbound(
  seq: number,
  scenario: OutboundScenario,
  random: () => number,
  dir: Directory,
  talkMs: number,
): PlannedCall {
  const operator = OUTBOUND_OPERATORS[Math.floor(random() * OUTBOUND_OPERATORS.length)]!;
  const behaviour: ClientBehaviour =
    scenario === "outboundAnswered" ? "answer" : scenario === "outboundBusy" ? "busy" : "noAnswer";
  const statusCode = behaviour === "answer" ? "200" : behaviour === "busy" ? "486" : "304";
  return {
    seq,
    scenario,
    direction: "outbound",
    // Dialled the way operators dial in Russia: 8 + ten digits; the CRM sees +7…
    clientNumber: `8${clientNumberFor(seq).slice(2)}`,
    operator,
    clientBehaviour: behaviour,
    talkMs: behaviour === "answer" ? talkMs : 0,
    extensions: [operator],
    label: `outbound from ${operator}, client ${behaviour}`,
    expect: {
      userIds: [userOf(dir, operator)],
      statusCode,
      durationSec: behaviour === "answer" ? answeredFor(talkMs) : notTalked(),
    },
  };
}

function userOf(dir: Directory, extension: string): number {
  const id = dir[extension];
  if (id === undefined) throw new Error(`extension ${extension} is not a CRM user in the seed`);
  return id;
}
