/**
 * Small builders for recorded CallEvent sequences. Times are seconds after T0 (fractions allowed), so a
 * scenario reads like a timeline. A leg's id is `leg-<extension>` unless given.
 */
import type { CallEvent, ClientResult, Direction, LegPurpose, LegResult } from "../../../core/calls/types.ts";
import type { UserDirectory } from "../../../core/calls/decisions/index.ts";

export const T0 = Date.parse("2025-03-03T09:00:00.000Z");

export function at(sec: number): string {
  return new Date(T0 + Math.round(sec * 1000)).toISOString();
}

export const legId = (extension: string): string => `leg-${extension}`;

function started(sec: number, direction: Direction, extra: { originExtension?: string } = {}): CallEvent {
  return {
    type: "callStarted",
    at: at(sec),
    callId: "1741000000.42",
    direction,
    clientNumber: direction === "internal" ? "102" : "84951234567",
    lineNumber: "74950000000",
    clientChannelId: "chan-client",
    ...extra,
  };
}

export const ev = {
  inbound: (sec = 0): CallEvent => started(sec, "inbound"),
  outbound: (sec: number, originExtension: string): CallEvent =>
    started(sec, "outbound", { originExtension }),
  internal: (sec: number, originExtension: string): CallEvent =>
    started(sec, "internal", { originExtension }),
  dial: (
    sec: number,
    extension: string,
    purpose: LegPurpose = "group",
    id = legId(extension),
  ): CallEvent => ({
    type: "legDialled",
    at: at(sec),
    legId: id,
    extension,
    purpose,
  }),
  skip: (sec: number, extension: string, result: LegResult = "busy"): CallEvent => ({
    type: "legSkipped",
    at: at(sec),
    extension,
    purpose: "group",
    result,
  }),
  ring: (sec: number, extension: string): CallEvent => ({
    type: "legRinging",
    at: at(sec),
    legId: legId(extension),
  }),
  answer: (sec: number, extension: string): CallEvent => ({
    type: "legAnswered",
    at: at(sec),
    legId: legId(extension),
  }),
  end: (sec: number, extension: string, result?: LegResult, cause = 16): CallEvent => ({
    type: "legEnded",
    at: at(sec),
    legId: legId(extension),
    cause,
    ...(result ? { result } : {}),
  }),
  talk: (sec: number, extension: string): CallEvent => ({
    type: "conversationStarted",
    at: at(sec),
    legId: legId(extension),
  }),
  stopTalk: (sec: number, extension: string, reason: "hangup" | "transferred" = "hangup"): CallEvent => ({
    type: "conversationEnded",
    at: at(sec),
    legId: legId(extension),
    reason,
  }),
  transfer: (
    sec: number,
    kind: "blind" | "attended",
    fromExtension: string,
    toExtension: string,
  ): CallEvent => ({
    type: "transferred",
    at: at(sec),
    kind,
    fromExtension,
    toExtension,
  }),
  clientAnswered: (sec: number): CallEvent => ({ type: "clientAnswered", at: at(sec) }),
  ivrInput: (sec: number, digits: string, extension?: string): CallEvent => ({
    type: "ivrInput",
    at: at(sec),
    digits,
    ...(extension ? { extension } : {}),
  }),
  ivrMissed: (sec: number, extension: string): CallEvent => ({ type: "ivrMissed", at: at(sec), extension }),
  recStart: (sec: number, name = "itgrix-1741000000.42"): CallEvent => ({
    type: "recordingStarted",
    at: at(sec),
    name,
    format: "wav",
  }),
  recDone: (sec: number, name = "itgrix-1741000000.42", durationSec?: number): CallEvent => ({
    type: "recordingFinished",
    at: at(sec),
    name,
    file: `itgrix/${name}.wav`,
    ...(durationSec !== undefined ? { durationSec } : {}),
  }),
  recFail: (sec: number, name = "itgrix-1741000000.42", cause?: string): CallEvent => ({
    type: "recordingFailed",
    at: at(sec),
    name,
    ...(cause ? { cause } : {}),
  }),
  hangup: (
    sec: number,
    extra: {
      clientResult?: ClientResult;
      hangupBy?: "client" | "operator" | "system";
      clientCause?: number;
    } = {},
  ): CallEvent => ({ type: "callEnded", at: at(sec), ...extra }),
};

/** Operators 101..109 are CRM users 1..9 (user id = extension − 100); 301 (Support) is not a CRM user. */
export const directory: UserDirectory = {
  userIdByExtension(extension) {
    const n = Number(extension);
    return /^10[1-9]$/.test(extension) ? n - 100 : undefined;
  },
};
