import { STATUS_CODE_BY_FAILURE } from "../originateFailure.ts";
import type { CallState } from "../types.ts";
import { connectFailure } from "./failedReason.ts";

/** What happened to a call, as far as Bitrix24's STATUS_CODE is concerned. */
export type CallOutcome =
  | "answered"
  | "missed"
  | "clientBusy"
  | "clientNoAnswer"
  | "operatorCancelled"
  | "clientUnavailable"
  | "congestion"
  | "badNumber"
  | "failed";

/**
 * THE mapping of outcomes to `telephony.externalcall.finish` STATUS_CODE. 304 is what starts Bitrix24's
 * missed-call automation, so every unanswered inbound call is 304.
 */
export const STATUS_CODE_BY_OUTCOME = {
  answered: "200",
  missed: "304",
  clientBusy: "486",
  clientNoAnswer: "304",
  operatorCancelled: "603-S",
  clientUnavailable: "480",
  congestion: "503",
  badNumber: "404",
  failed: "OTHER",
} as const satisfies Record<CallOutcome, string>;

export type StatusCode =
  | (typeof STATUS_CODE_BY_OUTCOME)[CallOutcome]
  | (typeof STATUS_CODE_BY_FAILURE)[keyof typeof STATUS_CODE_BY_FAILURE];

/**
 * STATUS_CODE for `finish`. An outbound call (click-to-call included) or a taken callback that never
 * connected because an originate failed by itself takes the code of the decoded failure
 * (`connectFailure`); every other
 * call the code of its outcome. Inbound calls stay 304 when missed, whatever their legs said.
 */
export function statusCode(call: CallState): StatusCode {
  const failure = connectFailure(call);
  if (failure) return STATUS_CODE_BY_FAILURE[failure.failure.reason];
  return STATUS_CODE_BY_OUTCOME[callOutcome(call)];
}

/**
 * Inbound and internal calls: answered when any conversation happened (also a zero-length one), else
 * missed — a caller who hung up while ringing or in the IVR included.
 * Outbound calls: answered (clientResult answered or any conversation), then what the network said
 * (busy, unavailable, congestion, bad number), then the operator giving up before the client answered
 * (clientResult cancelled, or hangupBy operator — also over a "noanswer"), then no answer; anything
 * else (failed, unknown) is "failed".
 */
export function callOutcome(call: CallState): CallOutcome {
  const talked = call.conversations.length > 0;
  if (call.direction === "callback") return callbackOutcome(call);
  if (call.direction !== "outbound") return talked ? "answered" : "missed";
  return clientSideOutcome(call);
}

/**
 * A callback (the CRM's form): missed while no operator took it (nobody answered); once an operator
 * answered, what the client's side said, as for an outbound call.
 */
function callbackOutcome(call: CallState): CallOutcome {
  const operatorAnswered = call.legs.some((leg) => leg.answeredAt !== undefined);
  if (call.conversations.length === 0 && !operatorAnswered) return "missed";
  return clientSideOutcome(call);
}

function clientSideOutcome(call: CallState): CallOutcome {
  const talked = call.conversations.length > 0;
  const result = call.clientResult;
  if (talked || result === "answered") return "answered";
  if (result === "busy") return "clientBusy";
  if (result === "unavailable") return "clientUnavailable";
  if (result === "congestion") return "congestion";
  if (result === "badNumber") return "badNumber";
  if (result === "cancelled" || call.hangupBy === "operator") return "operatorCancelled";
  if (result === "noanswer") return "clientNoAnswer";
  return "failed";
}
