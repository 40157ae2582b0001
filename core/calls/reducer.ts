import { CallModelError } from "./callModelError.ts";
import type { CallEvent, CallEventType, CallState, Conversation, Leg, Recording } from "./types.ts";

/**
 * The call model reducer: CallState + CallEvent → next CallState. Pure: the caller's state is never
 * mutated (each event works on a structured clone), no clock, no I/O.
 *
 * Rules worth knowing (see test/unit/calls/reducer.test.ts):
 * - `callStarted` creates the state with version 1 in phase "ringing"; `ivrInput` moves a ringing call
 *   to "ivr", `ivrMissed` moves it back to "ringing" (the call goes on to the DID's group).
 *   `conversationStarted` → "talking"; when the last open conversation ends while the call goes on
 *   (a transfer in progress) → "ringing"; `callEnded` → "ended" for good.
 * - Every event, also a duplicate or an ignored one, increments `version` by one, so a state folded
 *   from N events has version N and every (callId, version) names exactly one job.
 * - After `callEnded` only late end data is taken: `legEnded` (end time, cause, result of legs that
 *   were still open), recording events, `ivrMissed`. Everything else is ignored; nothing reopens.
 *   `callEnded` closes open conversations at the call's end.
 * - Idempotent: a repeated legDialled/legRinging/legAnswered/conversationStarted/transferred/
 *   recordingStarted/callEnded/callStarted changes nothing but the version; first timestamps win.
 * - At most one conversation is open at a time. A `conversationStarted` for another leg while one is
 *   open is ignored (two simultaneous answers: the first conversation wins), unless a `transferred` was
 *   recorded since the open one started: then the open one is closed as "transferred".
 * - Leniency: an event about an unknown leg throws while the call goes on (the app always records
 *   legDialled before it acts) but is ignored after the end; `conversationEnded` of a leg without an
 *   open conversation is a no-op; `recordingFinished`/`recordingFailed` without `recordingStarted`
 *   (observed only after an app restart) create the recording.
 */
export function applyCallEvent(state: CallState | undefined, event: CallEvent): CallState {
  if (event.type === "callStarted") return startCall(state, event);
  if (!state) {
    throw new CallModelError("callNotStarted", event.type, `${event.type} before callStarted`);
  }
  const draft = structuredClone(state);
  const handler = HANDLERS[event.type] as (draft: CallState, event: CallEvent) => void;
  handler(draft, event);
  draft.version = state.version + 1;
  return draft;
}

/** Folds a recorded event sequence (the first must be callStarted unless `initial` is given). */
export function foldCallEvents(events: Iterable<CallEvent>, initial?: CallState): CallState {
  let state = initial;
  for (const event of events) state = applyCallEvent(state, event);
  if (!state) throw new CallModelError("noEvents", undefined, "no events to fold");
  return state;
}

type EventOf<K extends CallEventType> = Extract<CallEvent, { type: K }>;
/** A handler mutates the draft (a private copy) in place. */
type Handler<K extends CallEventType> = (draft: CallState, event: EventOf<K>) => void;

function startCall(state: CallState | undefined, e: EventOf<"callStarted">): CallState {
  if (state) {
    if (state.callId !== e.callId) {
      throw new CallModelError("callIdMismatch", e.type, `callStarted ${e.callId} for call ${state.callId}`);
    }
    return { ...structuredClone(state), version: state.version + 1 };
  }
  const call: CallState = {
    callId: e.callId,
    version: 1,
    direction: e.direction,
    phase: "ringing",
    clientNumber: e.clientNumber,
    lineNumber: e.lineNumber,
    startedAt: e.at,
    legs: [],
    conversations: [],
    transfers: [],
  };
  if (e.originExtension !== undefined) call.originExtension = e.originExtension;
  if (e.clientChannelId !== undefined) call.clientChannelId = e.clientChannelId;
  if (e.portalCall !== undefined) call.portalCall = { ...e.portalCall };
  return call;
}

const HANDLERS: { [K in Exclude<CallEventType, "callStarted">]: Handler<K> } = {
  legDialled(d, e) {
    if (isEnded(d) || d.legs.some((leg) => leg.legId === e.legId)) return;
    d.legs.push({ legId: e.legId, extension: e.extension, purpose: e.purpose, dialledAt: e.at });
  },

  legSkipped(d, e) {
    if (isEnded(d)) return;
    d.legs.push({
      legId: `skip:${e.extension}:${d.legs.length}`,
      extension: e.extension,
      purpose: e.purpose,
      dialledAt: e.at,
      endedAt: e.at,
      result: e.result,
      skipped: true,
    });
  },

  legRinging(d, e) {
    const leg = legFor(d, e);
    if (!leg || isEnded(d) || leg.endedAt !== undefined) return;
    leg.ringingAt ??= e.at;
  },

  legAnswered(d, e) {
    const leg = legFor(d, e);
    if (!leg || isEnded(d) || leg.endedAt !== undefined) return;
    leg.answeredAt ??= e.at;
  },

  legEnded(d, e) {
    const leg = legFor(d, e);
    if (!leg) return;
    leg.endedAt ??= e.at;
    setIfAbsent(leg, "cause", e.cause);
    setIfAbsent(leg, "causeText", e.causeText);
    setIfAbsent(leg, "result", e.result);
    setIfAbsent(leg, "failure", e.failure);
    const open = openConversationOf(d, leg.legId);
    if (open) closeConversation(d, open, e.at, "hangup");
  },

  conversationStarted(d, e) {
    const leg = legFor(d, e);
    if (!leg || isEnded(d) || leg.endedAt !== undefined || openConversationOf(d, leg.legId)) return;
    const open = d.conversations.find((c) => c.endedAt === undefined);
    if (open) {
      if (!transferredSince(d, open.startedAt)) return; // simultaneous answers: the first one wins
      closeConversation(d, open, e.at, "transferred");
    }
    leg.answeredAt ??= e.at;
    d.answeredAt ??= e.at;
    d.conversations.push({ legId: leg.legId, extension: leg.extension, startedAt: e.at });
    d.phase = "talking";
  },

  conversationEnded(d, e) {
    const open = openConversationOf(d, e.legId);
    if (open && !isEnded(d)) closeConversation(d, open, e.at, e.reason);
  },

  transferred(d, e) {
    if (isEnded(d)) return;
    const { at, kind, fromExtension, toExtension } = e;
    const seen = d.transfers.some(
      (t) =>
        t.at === at && t.kind === kind && t.fromExtension === fromExtension && t.toExtension === toExtension,
    );
    if (!seen) d.transfers.push({ at, kind, fromExtension, toExtension });
  },

  clientAnswered(d, e) {
    if (!isEnded(d)) d.answeredAt ??= e.at;
  },

  ivrInput(d, e) {
    if (isEnded(d)) return;
    d.ivr = { digits: e.digits, at: e.at };
    if (e.extension !== undefined) d.ivr.extension = e.extension;
    if (d.phase === "ringing") d.phase = "ivr";
  },

  ivrMissed(d, e) {
    d.ivr = { ...(d.ivr ?? { digits: e.extension, at: e.at }), extension: e.extension, missed: true };
    if (d.phase === "ivr") d.phase = "ringing";
  },

  recordingStarted(d, e) {
    if (isEnded(d) || d.recording?.name === e.name) return;
    d.recording = { name: e.name, format: e.format, startedAt: e.at, state: "recording" };
  },

  recordingFinished(d, e) {
    const rec = recordingFor(d, e.name, e.at, formatOf(e.file));
    if (!rec) return;
    rec.state = "done";
    rec.file = e.file;
    setIfAbsent(rec, "durationSec", e.durationSec);
    delete rec.failureCause;
  },

  recordingFailed(d, e) {
    const rec = recordingFor(d, e.name, e.at, "");
    if (!rec || rec.state === "done") return;
    rec.state = "failed";
    setIfAbsent(rec, "failureCause", e.cause);
  },

  callEnded(d, e) {
    if (isEnded(d)) return;
    d.phase = "ended";
    d.endedAt = e.at;
    setIfAbsent(d, "clientResult", e.clientResult);
    setIfAbsent(d, "clientCause", e.clientCause);
    setIfAbsent(d, "hangupBy", e.hangupBy);
    setIfAbsent(d, "clientFailure", e.clientFailure);
    for (const c of d.conversations) {
      if (c.endedAt === undefined) Object.assign(c, { endedAt: e.at, endReason: "hangup" });
    }
  },
};

function isEnded(call: CallState): boolean {
  return call.phase === "ended";
}

/** The leg an event is about; undefined (ignore the event) for an unknown leg of an ended call. */
function legFor(call: CallState, e: { type: CallEventType; legId: string }): Leg | undefined {
  const leg = call.legs.find((l) => l.legId === e.legId);
  if (leg || isEnded(call)) return leg;
  throw new CallModelError(
    "unknownLeg",
    e.type,
    `${e.type} for unknown leg ${e.legId} of call ${call.callId}`,
  );
}

function openConversationOf(call: CallState, legId: string): Conversation | undefined {
  return call.conversations.find((c) => c.legId === legId && c.endedAt === undefined);
}

function closeConversation(
  call: CallState,
  c: Conversation,
  at: string,
  reason: Conversation["endReason"],
): void {
  c.endedAt = at;
  c.endReason = reason;
  const stillTalking = call.conversations.some((other) => other.endedAt === undefined);
  if (call.phase === "talking" && !stillTalking) call.phase = "ringing";
}

function transferredSince(call: CallState, since: string): boolean {
  return call.transfers.some((t) => Date.parse(t.at) >= Date.parse(since));
}

/** The recording an end event is about; created when its start was never observed. */
function recordingFor(call: CallState, name: string, at: string, format: string): Recording | undefined {
  if (!call.recording) call.recording = { name, format, startedAt: at, state: "recording" };
  return call.recording.name === name ? call.recording : undefined;
}

function formatOf(file: string): string {
  const dot = file.lastIndexOf(".");
  return dot > file.lastIndexOf("/") ? file.slice(dot + 1) : "";
}

/** Sets an optional field only when a value is known and none is set (keeps JSON and deepEqual clean). */
function setIfAbsent<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined && target[key] === undefined) target[key] = value;
}
