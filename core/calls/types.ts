/**
 * The call model: one call per Asterisk linkedid.
 *
 * The app turns ARI events into CallEvents (domain facts it observed or caused) and folds them with
 * `applyCallEvent` (core/calls/reducer.ts) into a CallState that it keeps in Redis. Workers read the
 * CallState and derive every CRM decision from it with the pure functions of core/calls/decisions/.
 * The bench and re-processing build the same CallEvents, so all paths meet in one reducer.
 *
 * Times are ISO-8601 strings with milliseconds (UTC, `new Date().toISOString()`), so a state survives
 * JSON round trips through Redis and BullMQ unchanged.
 */

import type { OriginateFailure } from "./originateFailure.ts";

/** `callback`: the CRM's callback form — operators are rung first, then the client is dialled (TYPE 4). */
export type Direction = "inbound" | "outbound" | "internal" | "callback";

/** Why an operator leg was created. */
export type LegPurpose = "group" | "ivr" | "transfer" | "direct";

/** How an operator leg ended (or why it was never rung). */
export type LegResult =
  | "answered"
  | "busy"
  | "noanswer"
  | "rejected"
  | "unregistered"
  | "answeredElsewhere"
  | "cancelled"
  | "failed";

/** The client side of an outbound call (or the inbound caller), as seen from Asterisk. */
export type ClientResult =
  "answered" | "busy" | "noanswer" | "unavailable" | "congestion" | "badNumber" | "cancelled" | "failed";

export interface Leg {
  /** ARI channel id of the leg (unique per leg; a skipped operator gets a synthetic `skip:<ext>:<n>` id). */
  legId: string;
  /** Operator extension as dialled in Asterisk (before any rewrite for the CRM). */
  extension: string;
  purpose: LegPurpose;
  /** When the leg was created / the INVITE went out. */
  dialledAt: string;
  /** When the phone reported ringing (180/183); absent if it never rang. */
  ringingAt?: string;
  answeredAt?: string;
  endedAt?: string;
  /** Q.850 hangup cause from ChannelDestroyed, when known. */
  cause?: number;
  causeText?: string;
  result?: LegResult;
  /** True when the operator was not dialled at all (busy in another call, unregistered). */
  skipped?: boolean;
  /** Why dialling this phone failed (ARI refusal or cause), decoded when it happened. */
  failure?: OriginateFailure;
}

/** A period during which the client talked with one operator leg. */
export interface Conversation {
  legId: string;
  extension: string;
  startedAt: string;
  endedAt?: string;
  endReason?: "hangup" | "transferred";
}

export interface Transfer {
  at: string;
  kind: "blind" | "attended";
  fromExtension: string;
  toExtension: string;
}

export interface IvrInput {
  /** Digits the caller entered. */
  digits: string;
  at: string;
  /** The extension the digits selected, if they selected one. */
  extension?: string;
  /** Set when the selected extension was rung and did not answer. */
  missed?: boolean;
}

export interface Recording {
  /** ARI live-recording name (without the format suffix). */
  name: string;
  format: string;
  startedAt: string;
  state: "recording" | "done" | "failed";
  /** Path relative to Asterisk's recording spool, e.g. `itgrix/<linkedid>.wav`, once done. */
  file?: string;
  durationSec?: number;
  failureCause?: string;
}

export type CallPhase = "ringing" | "ivr" | "talking" | "ended";

export interface CallState {
  /** Asterisk linkedid = the first channel's uniqueid; also Bitrix24's EXTERNAL_CALL_ID. */
  callId: string;
  /** Increases by one with every applied event; jobs are keyed by (callId, version). */
  version: number;
  direction: Direction;
  phase: CallPhase;
  /** The client's number exactly as Asterisk gave it (normalised later, per configuration). */
  clientNumber: string;
  /** The number the call came in on (DID) or went out through (trunk line). */
  lineNumber: string;
  /** For outbound and internal calls: the operator extension that placed the call. */
  originExtension?: string;
  /** ARI channel id of the client's (inbound caller's / outbound callee's) channel. */
  clientChannelId?: string;
  startedAt: string;
  /** When the client was answered by the PBX (IVR answer or bridge), if ever. */
  answeredAt?: string;
  endedAt?: string;
  legs: Leg[];
  conversations: Conversation[];
  transfers: Transfer[];
  ivr?: IvrInput;
  recording?: Recording;
  /** Outcome on the client side; for outbound calls this is what the status code is mapped from. */
  clientResult?: ClientResult;
  clientCause?: number;
  /** Who ended the call first, when known. */
  hangupBy?: "client" | "operator" | "system";
  /**
   * Set when the state was rebuilt from Asterisk's records (re-processing, the audit), not followed
   * live: the workers' journal of such a call may have expired, so the portal is asked first.
   */
  rebuiltAt?: string;
  /** Why the client (trunk) leg of an outbound call failed by itself, decoded when it happened. */
  clientFailure?: OriginateFailure;
  /**
   * The portal's own call (click-to-call, ONEXTERNALCALLSTART): already registered by the portal for
   * `userId`, so the workers finish this CALL_ID and never register the call again.
   */
  portalCall?: PortalCall;
}

export interface PortalCall {
  /** Bitrix24 CALL_ID from the event. */
  callId: string;
  /** The user who clicked (data[USER_ID]). */
  userId: number;
}

/** Facts the app observed or caused, in the order they happened. */
export type CallEvent =
  | {
      type: "callStarted";
      at: string;
      callId: string;
      direction: Direction;
      clientNumber: string;
      lineNumber: string;
      originExtension?: string;
      clientChannelId?: string;
      portalCall?: PortalCall;
    }
  | { type: "legDialled"; at: string; legId: string; extension: string; purpose: LegPurpose }
  | { type: "legSkipped"; at: string; extension: string; purpose: LegPurpose; result: LegResult }
  | { type: "legRinging"; at: string; legId: string }
  | { type: "legAnswered"; at: string; legId: string }
  | {
      type: "legEnded";
      at: string;
      legId: string;
      cause?: number;
      causeText?: string;
      result?: LegResult;
      failure?: OriginateFailure;
    }
  /** The client is now talking with this (answered) leg. */
  | { type: "conversationStarted"; at: string; legId: string }
  | { type: "conversationEnded"; at: string; legId: string; reason: "hangup" | "transferred" }
  | {
      type: "transferred";
      at: string;
      kind: "blind" | "attended";
      fromExtension: string;
      toExtension: string;
    }
  | { type: "clientAnswered"; at: string }
  | { type: "ivrInput"; at: string; digits: string; extension?: string }
  | { type: "ivrMissed"; at: string; extension: string }
  | { type: "recordingStarted"; at: string; name: string; format: string }
  | { type: "recordingFinished"; at: string; name: string; file: string; durationSec?: number }
  | { type: "recordingFailed"; at: string; name: string; cause?: string }
  | {
      type: "callEnded";
      at: string;
      clientResult?: ClientResult;
      clientCause?: number;
      hangupBy?: "client" | "operator" | "system";
      clientFailure?: OriginateFailure;
    };

export type CallEventType = CallEvent["type"];
