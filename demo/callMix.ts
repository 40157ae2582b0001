import {
  DEFAULT_USER_ID,
  GROUPS,
  IVR_EXTENSION_RING_SEC,
  OUTBOUND_OPERATORS,
  didOfGroup,
} from "./callCentre.ts";

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

/** mulberry32: small, fast, good enough for picking scenarios reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The endless mix: the first calls walk through every scenario once, then weighted random picks. */
export function* callMix(options: MixOptions): Generator<PlannedCall> {
  const random = seededRandom(options.seed);
  const names = (Object.keys(SCENARIO_WEIGHTS) as ScenarioName[]).filter(
    (n) => !options.exclude?.includes(n),
  );
  if (names.length === 0) throw new Error("every scenario is excluded");
  for (let seq = 1; ; seq++) {
    const scenario = seq <= names.length ? names[seq - 1]! : pickWeighted(names, random);
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

function pickWeighted(names: ScenarioName[], random: () => number): ScenarioName {
  const total = names.reduce((sum, n) => sum + SCENARIO_WEIGHTS[n], 0);
  let r = random() * total;
  for (const n of names) {
    r -= SCENARIO_WEIGHTS[n];
    if (r < 0) return n;
  }
  return names[names.length - 1]!;
}

/** Unique per call within a run: +7 916 5xx xx xx, the sequence number in the last digits. */
export function clientNumberFor(seq: number): string {
  return `+79165${String(seq % 1_000_000).padStart(6, "0")}`;
}

function planCall(seq: number, scenario: ScenarioName, random: () => number, dir: Directory): PlannedCall {
  const talkMs = 2000 + Math.floor(random() * 4) * 1000;
  const clientNumber = clientNumberFor(seq);
  const users = (...exts: string[]) => exts.map((e) => userOf(dir, e));
  const answered = (talk: number, slack = 2): Expectation["durationSec"] => ({
    min: Math.max(0, talk / 1000 - slack),
    max: talk / 1000 + slack,
  });
  const missed = { min: 0, max: 1 };
  const inbound = (
    group: string,
    talk: number,
    expect: Expectation,
    extra: Pick<PlannedCall, "ivrDigits" | "hangupAfterRingMs"> & {
      extensions?: string[];
      label?: string;
    } = {},
  ): PlannedCall => {
    const g = GROUPS[group]!;
    const { extensions = [], label = `${group} ${g.strategy}`, ...rest } = extra;
    return {
      seq,
      scenario,
      direction: "inbound",
      clientNumber,
      did: didOfGroup(group),
      talkMs: talk,
      extensions: [...g.members, ...extensions],
      label,
      expect,
      ...rest,
    };
  };
  switch (scenario) {
    case "ringallAnswered":
      return inbound("sales", talkMs, {
        userIds: users("101", "102", "103"),
        statusCode: "200",
        durationSec: answered(talkMs),
      });
    case "sequentialAnswered":
      return inbound("service", talkMs, {
        userIds: users("106"),
        statusCode: "200",
        durationSec: answered(talkMs),
      });
    case "roundrobinAnswered":
      return inbound("orders", talkMs, {
        userIds: users("107", "108", "109"),
        statusCode: "200",
        durationSec: answered(talkMs),
      });
    case "missed":
      return inbound("night", 30_000, {
        userIds: users("110", "111"),
        statusCode: "304",
        durationSec: missed,
      });
    case "callerAbandons":
      return inbound(
        "night",
        30_000,
        { userIds: users("110", "111"), statusCode: "304", durationSec: missed },
        { hangupAfterRingMs: 3000, label: "night ringall, caller abandons" },
      );
    case "rejectSkipped":
      return inbound("vip", talkMs, {
        userIds: users("113"),
        statusCode: "200",
        durationSec: answered(talkMs),
      });
    case "ivrExtension": {
      // The IVR answers the caller first; the talk with 116 is the hold time minus IVR and ringing.
      const hold = talkMs + 8000;
      return inbound(
        "reception",
        hold,
        { userIds: users("116"), statusCode: "200", durationSec: { min: 1, max: hold / 1000 + 2 } },
        { ivrDigits: "116", extensions: ["116"], label: "IVR → 116" },
      );
    }
    case "ivrMissed": {
      const hold = talkMs + 8000 + IVR_EXTENSION_RING_SEC * 1000;
      return inbound(
        "reception",
        hold,
        { userIds: users("114", "115"), statusCode: "200", durationSec: { min: 1, max: hold / 1000 + 2 } },
        { ivrDigits: "117", extensions: ["117"], label: "IVR → 117 missed → reception" },
      );
    }
    case "blindTransfer": {
      const hold = talkMs + 6000;
      return inbound(
        "transfers",
        hold,
        { userIds: users("119"), statusCode: "200", durationSec: { min: 1, max: hold / 1000 + 2 } },
        { extensions: ["119"], label: "118 blind transfer → 119" },
      );
    }
    case "transferToSupport": {
      const hold = talkMs + 6000;
      return inbound(
        "escalation",
        hold,
        { userIds: users("120"), statusCode: "200", durationSec: { min: 1, max: hold / 1000 + 2 } },
        { extensions: ["301"], label: "120 blind transfer → Support 301" },
      );
    }
    case "supportLine":
      return inbound("support", talkMs, {
        userIds: [DEFAULT_USER_ID],
        statusCode: "200",
        durationSec: answered(talkMs),
      });
    case "outboundAnswered":
    case "outboundBusy":
    case "outboundNoAnswer":
      return outbound(seq, scenario, random, dir, talkMs);
  }
}

function outbound(
  seq: number,
  scenario: ScenarioName,
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
      durationSec:
        behaviour === "answer"
          ? { min: Math.max(0, talkMs / 1000 - 2), max: talkMs / 1000 + 2 }
          : { min: 0, max: 1 },
    },
  };
}

function userOf(dir: Directory, extension: string): number {
  const id = dir[extension];
  if (id === undefined) throw new Error(`extension ${extension} is not a CRM user in the seed`);
  return id;
}
