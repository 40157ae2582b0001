import { foldCallEvents } from "../core/calls/reducer.ts";
import type { CallEvent, CallState } from "../core/calls/types.ts";
import { pickScenario, seededRandom } from "../core/mix/seededMix.ts";
import { CallScript, OPERATORS, SUPPORT } from "./callScript.ts";

export { OPERATORS, SUPPORT };

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

/** The first calls walk through every scenario once (small runs see all of them), then weighted picks. */
export function generateCalls(options: MixOptions): GeneratedCall[] {
  const random = seededRandom(options.seed);
  const names = Object.keys(SCENARIO_WEIGHTS) as ScenarioName[];
  const gap = options.meanGapMs ?? 3_600;
  const calls: GeneratedCall[] = [];
  let startMs = options.firstCallAtMs;
  for (let seq = 1; seq <= options.count; seq++) {
    const scenario = pickScenario(seq, names, SCENARIO_WEIGHTS, random);
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
