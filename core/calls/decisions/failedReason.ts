import { describeOriginateFailure, type OriginateFailure } from "../originateFailure.ts";
import type { CallState } from "../types.ts";

export interface ConnectFailure {
  failure: OriginateFailure;
  /** The extension (operator side) or client number (client side) that failed. */
  party: string;
}

/**
 * Why a call that dials the client never connected, when an originate failed by itself. Outbound:
 * the client leg's decoded failure, else the failure of the placing user's own phone (click-to-call
 * rings it first). Callback: the client leg's decoded failure (the operator who took it answered).
 * Nothing for a call that talked, was answered, or that the operator cancelled.
 */
export function connectFailure(call: CallState): ConnectFailure | undefined {
  if (call.direction !== "outbound" && call.direction !== "callback") return undefined;
  if (call.conversations.length > 0) return undefined;
  if (call.clientResult === "answered" || call.clientResult === "cancelled") return undefined;
  if (call.clientFailure) return { failure: call.clientFailure, party: call.clientNumber };
  if (call.direction === "callback") return undefined; // its operator legs: failedReason's own rule
  const own = call.legs.find((l) => l.purpose === "direct" && l.failure !== undefined);
  return own ? { failure: own.failure!, party: own.extension } : undefined;
}

/** At most this many failed legs are named in one FAILED_REASON. */
const MAX_NAMED_LEGS = 3;

/**
 * FAILED_REASON for `finish`: why a call that never connected failed, in words an admin can act on
 * (`phone 117: not registered or unreachable (ARI 500)`). Outbound and callback: the connect
 * failure. Inbound, internal and callback calls nobody answered: the operator phones that could not be rung or failed (busy and
 * unanswered legs are normal and not named). Undefined when there is nothing to explain.
 */
export function failedReason(call: CallState): string | undefined {
  if (call.conversations.length > 0) return undefined;
  const own = connectFailure(call);
  if (own) return describeOriginateFailure(own.failure, own.party);
  if (call.direction === "outbound") return undefined;
  const broken = call.legs.filter(
    (l) => l.failure !== undefined && l.failure.reason !== "busy" && l.failure.reason !== "noAnswer",
  );
  if (broken.length === 0) return undefined;
  return broken
    .slice(0, MAX_NAMED_LEGS)
    .map((l) => describeOriginateFailure(l.failure!, l.extension))
    .join("; ");
}
