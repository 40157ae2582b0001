import { pickScenario, seededRandom } from "../core/mix/seededMix.ts";
import { IVR_ANSWERING, IVR_NOT_ANSWERING, didOf } from "./callCentre.ts";

/**
 * The soak's call mix: a seeded, pure sequence of inbound calls with what the CALLER does (when it
 * hangs up, which digits it sends). What the CRM must show is not predicted here: under load the
 * PBX skips busy operators, so the checker takes the truth from what the phones logged.
 */

export type ScenarioName =
  | "salesRingall"
  | "serviceRoundrobin"
  | "ordersBusyFirst"
  | "allBusy"
  | "noAnswer"
  | "callerAbandons"
  | "blindTransfer"
  | "transferToSupport"
  | "supportLine"
  | "ivrExtension"
  | "ivrMissed"
  | "ivrNoInput"
  | "attendedTransfer";

export interface SoakCall {
  seq: number;
  scenario: ScenarioName;
  /** The caller's number as the trunk delivers it (digits only), unique in a run. */
  clientNumber: string;
  did: string;
  /** CANCEL when not answered this long after the last provisional response. */
  answerTimeoutMs: number;
  /** After the answer (and the digits) the caller hangs up this long later, unless the PBX did. */
  talkMs: number;
  dtmf: string;
}

/** Relative weights of the random picks; attended transfers come every `attendedEvery` calls. */
export const SCENARIO_WEIGHTS: Record<Exclude<ScenarioName, "attendedTransfer">, number> = {
  salesRingall: 23,
  serviceRoundrobin: 15,
  ordersBusyFirst: 10,
  allBusy: 4,
  noAnswer: 6,
  callerAbandons: 7,
  blindTransfer: 9,
  transferToSupport: 6,
  supportLine: 4,
  ivrExtension: 8,
  ivrMissed: 5,
  ivrNoInput: 3,
};

export interface MixOptions {
  seed: number;
  /** Every n-th call is an attended transfer (0 = none). */
  attendedEvery: number;
}

/** A caller that never gives up on its own while the PBX keeps it ringing. */
const PATIENT_MS = 60_000;

export function* soakMix(options: MixOptions): Generator<SoakCall> {
  const random = seededRandom(options.seed);
  const names = Object.keys(SCENARIO_WEIGHTS) as Exclude<ScenarioName, "attendedTransfer">[];
  for (let seq = 1; ; seq++) {
    if (options.attendedEvery > 0 && seq % options.attendedEvery === 0) {
      yield planCall(seq, "attendedTransfer", random);
      continue;
    }
    yield planCall(seq, pickScenario(seq, names, SCENARIO_WEIGHTS, random), random);
  }
}

/** Unique in a run: +7 926 then the sequence number. */
export function clientNumberOf(seq: number): string {
  return `7926${String(seq % 10_000_000).padStart(7, "0")}`;
}

function planCall(seq: number, scenario: ScenarioName, random: () => number): SoakCall {
  const between = (min: number, max: number) => Math.round(min + random() * (max - min));
  const base = { seq, scenario, clientNumber: clientNumberOf(seq), answerTimeoutMs: PATIENT_MS, dtmf: "" };
  const talk = between(4000, 12_000);
  switch (scenario) {
    case "salesRingall":
      return { ...base, did: didOf("sales"), talkMs: talk };
    case "serviceRoundrobin":
      return { ...base, did: didOf("service"), talkMs: talk };
    case "ordersBusyFirst":
      return { ...base, did: didOf("orders"), talkMs: talk };
    case "allBusy":
      return { ...base, did: didOf("allBusy"), talkMs: talk };
    case "noAnswer":
      return { ...base, did: didOf("night"), talkMs: talk };
    case "callerAbandons":
      return { ...base, did: didOf("lost"), talkMs: talk, answerTimeoutMs: between(2000, 5000) };
    case "blindTransfer":
      return { ...base, did: didOf("transfers"), talkMs: talk + 5000 };
    case "transferToSupport":
      return { ...base, did: didOf("escalation"), talkMs: talk + 5000 };
    case "supportLine":
      return { ...base, did: didOf("support"), talkMs: talk };
    case "ivrExtension": {
      const ext = IVR_ANSWERING[Math.floor(random() * IVR_ANSWERING.length)]!;
      return { ...base, did: didOf("reception"), talkMs: talk + 4000, dtmf: ext };
    }
    case "ivrMissed":
      return { ...base, did: didOf("reception"), talkMs: talk + 9000, dtmf: IVR_NOT_ANSWERING };
    case "ivrNoInput":
      return { ...base, did: didOf("reception"), talkMs: talk + 8000 };
    case "attendedTransfer":
      return { ...base, did: didOf("attended"), talkMs: 24_000 };
  }
}
