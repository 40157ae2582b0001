import { foldCallEvents } from "../core/calls/reducer.ts";
import type { CallEvent, CallState, ClientResult, LegResult } from "../core/calls/types.ts";

/**
 * The benchmark's call mix: a PURE, seeded generator of complete call lifecycles as CallEvent
 * sequences (what the app records), each folded into its final CallState with the one reducer. The
 * same seed gives the same calls; the clock comes in as `firstCallAtMs`, so nothing here reads time.
 */

export type ScenarioName =
  | "ringAllAnswered"
  | "missed"
  | "callerAbandoned"
  | "busySkipped"
  | "blindTransfer"
  | "supportTransfer"
  | "outboundAnswered"
  | "outboundBusy"
  | "outboundNoAnswer";

/** Relative weights, close to the demo's call centre: most calls are answered inbound ones. */
export const SCENARIO_WEIGHTS: Record<ScenarioName, number> = {
  ringAllAnswered: 30,
  missed: 8,
  callerAbandoned: 8,
  busySkipped: 10,
  blindTransfer: 8,
  supportTransfer: 8,
  outboundAnswered: 14,
  outboundBusy: 7,
  outboundNoAnswer: 7,
};

export const OPERATORS = Array.from({ length: 20 }, (_, i) => String(101 + i));
/** Support extensions: Asterisk phones that are not Bitrix24 users. */
export const SUPPORT = ["301", "302", "303"];
export const LINE_NUMBER = "+74951112233";

export interface MixOptions {
  count: number;
  seed: number;
  /** Start of the first call (ms since the epoch); calls follow each other from there. */
  firstCallAtMs: number;
  /** Share (0..1) of calls with a conversation that also have a finished wav recording. */
  recordingShare: number;
  /** Mean gap between call starts; default 3.6 s (1000 calls an hour). */
  meanGapMs?: number;
  /** Integer part of the linkedid-like call ids, `<idBase>.<seq>`. */
  idBase?: number;
}

export interface GeneratedCall {
  seq: number;
  callId: string;
  scenario: ScenarioName;
  events: CallEvent[];
  state: CallState;
  /** Path of the recording relative to the spool directory, when the call has one. */
  recordingFile?: string;
}

/** mulberry32: small, fast, reproducible. */
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

/** The first calls walk through every scenario once (small runs see all of them), then weighted picks. */
export function generateCalls(options: MixOptions): GeneratedCall[] {
  const random = seededRandom(options.seed);
  const names = Object.keys(SCENARIO_WEIGHTS) as ScenarioName[];
  const gap = options.meanGapMs ?? 3_600;
  const calls: GeneratedCall[] = [];
  let startMs = options.firstCallAtMs;
  for (let seq = 1; seq <= options.count; seq++) {
    const scenario = seq <= names.length ? names[seq - 1]! : pickWeighted(names, random);
    const callId = `${options.idBase ?? 1764000000}.${seq}`;
    const script = new CallScript(callId, startMs, random);
    SCENARIOS[scenario](script);
    const recordingFile = script.finishRecording(options.recordingShare);
    const events = script.events;
    calls.push({
      seq,
      callId,
      scenario,
      events,
      state: foldCallEvents(events),
      ...(recordingFile ? { recordingFile } : {}),
    });
    startMs += Math.round(gap * (0.5 + random()));
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

/** Builds one call's events; times are seconds after the call's start. */
class CallScript {
  readonly events: CallEvent[] = [];
  private legs = 0;
  private talkStartSec: number | undefined;
  private endSec = 0;

  constructor(
    readonly callId: string,
    private readonly startMs: number,
    readonly random: () => number,
  ) {}

  at(sec: number): string {
    return new Date(this.startMs + Math.round(sec * 1000)).toISOString();
  }

  between(min: number, max: number): number {
    return Math.round((min + this.random() * (max - min)) * 100) / 100;
  }

  /** `count` distinct operators, none of `exclude`. */
  operators(count: number, exclude: string[] = []): string[] {
    const pool = OPERATORS.filter((e) => !exclude.includes(e));
    const picked: string[] = [];
    while (picked.length < count) picked.push(pool.splice(Math.floor(this.random() * pool.length), 1)[0]!);
    return picked;
  }

  clientNumber(): string {
    const seq = Number(this.callId.split(".")[1] ?? 0);
    return `+79165${String(seq % 1_000_000).padStart(6, "0")}`;
  }

  inbound(): void {
    const clientNumber = this.clientNumber();
    this.push({
      type: "callStarted",
      at: this.at(0),
      callId: this.callId,
      direction: "inbound",
      clientNumber,
      lineNumber: LINE_NUMBER,
      clientChannelId: `${this.callId}-client`,
    });
  }

  outbound(origin: string): string {
    const clientNumber = this.clientNumber();
    this.push({
      type: "callStarted",
      at: this.at(0),
      callId: this.callId,
      direction: "outbound",
      clientNumber,
      lineNumber: LINE_NUMBER,
      originExtension: origin,
      clientChannelId: `${this.callId}-client`,
    });
    const legId = this.dial(0, origin, "direct");
    this.push({ type: "legAnswered", at: this.at(0), legId });
    return legId;
  }

  dial(sec: number, extension: string, purpose: "group" | "transfer" | "direct" = "group"): string {
    const legId = `${this.callId}-leg${++this.legs}`;
    this.push({ type: "legDialled", at: this.at(sec), legId, extension, purpose });
    return legId;
  }

  ring(sec: number, legId: string): void {
    this.push({ type: "legRinging", at: this.at(sec), legId });
  }

  /** The leg answers and the client talks with it. */
  talk(sec: number, legId: string): void {
    this.push({ type: "legAnswered", at: this.at(sec), legId });
    this.converse(sec, legId);
  }

  /** The client talks with an already answered leg. */
  converse(sec: number, legId: string): void {
    this.push({ type: "conversationStarted", at: this.at(sec), legId });
    this.talkStartSec ??= sec;
  }

  clientAnswered(sec: number): void {
    this.push({ type: "clientAnswered", at: this.at(sec) });
  }

  endLeg(sec: number, legId: string, result: LegResult): void {
    this.push({ type: "legEnded", at: this.at(sec), legId, result });
  }

  skip(sec: number, extension: string): void {
    this.push({ type: "legSkipped", at: this.at(sec), extension, purpose: "group", result: "busy" });
  }

  transfer(sec: number, fromLeg: string, from: string, to: string): void {
    this.push({ type: "transferred", at: this.at(sec), kind: "blind", fromExtension: from, toExtension: to });
    this.push({ type: "conversationEnded", at: this.at(sec), legId: fromLeg, reason: "transferred" });
    this.endLeg(sec + 0.05, fromLeg, "answered");
  }

  hangup(sec: number, hangupBy: "client" | "operator" | "system", clientResult?: ClientResult): void {
    this.endSec = sec;
    this.push({ type: "callEnded", at: this.at(sec), hangupBy, ...(clientResult ? { clientResult } : {}) });
  }

  /** A mixed recording of the talk, finished shortly after the call, for a share of talked calls. */
  finishRecording(share: number): string | undefined {
    if (this.talkStartSec === undefined || this.random() >= share) return undefined;
    const name = `itgrix/${this.callId}`;
    const file = `${name}.wav`;
    const durationSec = Math.round(this.endSec - this.talkStartSec);
    this.push({ type: "recordingStarted", at: this.at(this.talkStartSec + 0.05), name, format: "wav" });
    this.push({ type: "recordingFinished", at: this.at(this.endSec + 0.3), name, file, durationSec });
    return file;
  }

  private push(event: CallEvent): void {
    this.events.push(event);
  }
}

/** Ring-all of `members`; one of them (the winner) answers; the others are hung up. */
function ringAll(
  s: CallScript,
  members: string[],
  fromSec = 0.1,
): { winner: string; legId: string; answerSec: number } {
  const legIds = members.map((ext) => s.dial(fromSec, ext));
  legIds.forEach((legId) => s.ring(fromSec + s.between(0.1, 0.5), legId));
  const w = Math.floor(s.random() * members.length);
  const answerSec = fromSec + s.between(3, 15);
  s.talk(answerSec, legIds[w]!);
  legIds.forEach((legId, i) => {
    if (i !== w) s.endLeg(answerSec + 0.01, legId, "answeredElsewhere");
  });
  return { winner: members[w]!, legId: legIds[w]!, answerSec };
}

function endTalk(s: CallScript, legId: string, sec: number): void {
  const by = s.random() < 0.6 ? "client" : "operator";
  s.hangup(sec, by, "answered");
  s.endLeg(sec + 0.01, legId, "answered");
}

/** A transfer of an answered call from its first operator to `target`, who answers. */
function transferTo(s: CallScript, target: (winner: string) => string): void {
  s.inbound();
  const first = ringAll(s, s.operators(2 + Math.floor(s.random() * 2)));
  const transferSec = first.answerSec + s.between(10, 120);
  const to = target(first.winner);
  s.transfer(transferSec, first.legId, first.winner, to);
  const leg = s.dial(transferSec + 0.1, to, "transfer");
  s.ring(transferSec + 0.3, leg);
  const answerSec = transferSec + s.between(2, 10);
  s.talk(answerSec, leg);
  endTalk(s, leg, answerSec + s.between(10, 180));
}

const SCENARIOS: Record<ScenarioName, (s: CallScript) => void> = {
  ringAllAnswered(s) {
    s.inbound();
    const { legId, answerSec } = ringAll(s, s.operators(2 + Math.floor(s.random() * 3)));
    endTalk(s, legId, answerSec + s.between(10, 300));
  },
  missed(s) {
    s.inbound();
    const legIds = s.operators(2 + Math.floor(s.random() * 3)).map((ext) => s.dial(0.1, ext));
    legIds.forEach((legId) => s.ring(0.3, legId));
    legIds.forEach((legId) => s.endLeg(60, legId, "noanswer"));
    s.hangup(60.1, "system", "noanswer");
  },
  callerAbandoned(s) {
    s.inbound();
    const legIds = s.operators(2 + Math.floor(s.random() * 3)).map((ext) => s.dial(0.1, ext));
    legIds.forEach((legId) => s.ring(0.3, legId));
    const gaveUp = s.between(3, 25);
    s.hangup(gaveUp, "client", "cancelled");
    legIds.forEach((legId) => s.endLeg(gaveUp + 0.02, legId, "cancelled"));
  },
  busySkipped(s) {
    s.inbound();
    const [busy, ...others] = s.operators(2 + Math.floor(s.random() * 3));
    s.skip(0.05, busy!);
    const { legId, answerSec } = ringAll(s, others);
    endTalk(s, legId, answerSec + s.between(10, 300));
  },
  blindTransfer(s) {
    transferTo(s, (winner) => s.operators(1, [winner])[0]!);
  },
  supportTransfer(s) {
    transferTo(s, () => SUPPORT[Math.floor(s.random() * SUPPORT.length)]!);
  },
  outboundAnswered(s) {
    const legId = s.outbound(s.operators(1)[0]!);
    const answerSec = s.between(3, 20);
    s.clientAnswered(answerSec);
    s.converse(answerSec, legId);
    endTalk(s, legId, answerSec + s.between(10, 300));
  },
  outboundBusy(s) {
    const legId = s.outbound(s.operators(1)[0]!);
    const sec = s.between(1, 5);
    s.hangup(sec, "system", "busy");
    s.endLeg(sec + 0.01, legId, "answered");
  },
  outboundNoAnswer(s) {
    const legId = s.outbound(s.operators(1)[0]!);
    s.hangup(60, "system", "noanswer");
    s.endLeg(60.01, legId, "answered");
  },
};
