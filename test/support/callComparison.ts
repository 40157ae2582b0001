/**
 * Live vs rebuilt: what the CRM decisions (core/calls/decisions/) and the call model say about one
 * call, as plain data, so the app's live CallState and the one rebuilt from Asterisk's CEL can be
 * compared field by field (integration test) and a captured pair checked again offline (unit test).
 */
import {
  ivrMissedNotice,
  responsibleUser,
  statusCode,
  talkDurationSec,
  type UserDirectory,
} from "../../core/calls/decisions/index.ts";
import type { CallState } from "../../core/calls/types.ts";

/** The emulator's default seed: operators 101…120 are users 2…21; 301…303 (Support) are no users. */
export const SEED_DIRECTORY: UserDirectory = {
  userIdByExtension(extension) {
    const n = Number(extension);
    return Number.isInteger(n) && n >= 101 && n <= 120 ? n - 99 : undefined;
  },
};

export interface CallSummary {
  direction: string;
  clientNumber: string;
  lineNumber: string;
  originExtension: string | null;
  status: string;
  responsible: number | null;
  talkSec: number;
  clientResult: string | null;
  hangupBy: string | null;
  ivr: { digits: string; extension: string | null; missed: boolean } | null;
  ivrMissedNotice: string | null;
  /** Dialled (not skipped) legs in dial order: `ext purpose result`. */
  legs: string[];
  /** `ext` of each conversation in order. */
  conversations: string[];
  transfers: string[];
  recordingFile: string | null;
}

export function summarise(call: CallState, directory: UserDirectory = SEED_DIRECTORY): CallSummary {
  const legs = call.legs
    .filter((l) => !l.skipped)
    .sort((a, b) => Date.parse(a.dialledAt) - Date.parse(b.dialledAt))
    .map((l) => `${l.extension} ${l.purpose} ${l.answeredAt ? "answered" : (l.result ?? "open")}`);
  return {
    direction: call.direction,
    clientNumber: call.clientNumber,
    lineNumber: call.lineNumber,
    originExtension: call.originExtension ?? null,
    status: statusCode(call),
    responsible: responsibleUser(call, directory)?.userId ?? null,
    talkSec: talkDurationSec(call),
    clientResult: call.clientResult ?? null,
    hangupBy: call.hangupBy ?? null,
    ivr: call.ivr
      ? { digits: call.ivr.digits, extension: call.ivr.extension ?? null, missed: call.ivr.missed ?? false }
      : null,
    ivrMissedNotice: ivrMissedNotice(call)?.extension ?? null,
    legs,
    conversations: call.conversations.map((c) => c.extension),
    transfers: call.transfers.map((t) => `${t.kind} ${t.fromExtension}->${t.toExtension}`),
    recordingFile: call.recording?.state === "done" ? (call.recording.file ?? null) : null,
  };
}

/*
 * Not compared: `registerUser`. It picks the user a LIVE call is registered for, among legs that rang
 * (`ringingAt`), and CEL has no ringing event; a call re-processed after its end is registered and
 * finished at once for its responsible user (workers/calls/planSteps.ts), which is compared.
 */

/**
 * The differences between the two summaries (empty: they agree). Talk time may differ by one second:
 * both sides time the same bridge changes, from a few milliseconds apart, and round to whole seconds.
 */
export function differences(live: CallSummary, rebuilt: CallSummary): string[] {
  const out: string[] = [];
  for (const key of Object.keys(live) as (keyof CallSummary)[]) {
    const a = JSON.stringify(live[key]);
    const b = JSON.stringify(rebuilt[key]);
    if (key === "talkSec" && Math.abs(live.talkSec - rebuilt.talkSec) <= 1) continue;
    if (a !== b) out.push(`${key}: live ${a}, rebuilt ${b}`);
  }
  return out;
}
