/**
 * Why an originate failed, decoded from what Asterisk said: the HTTP status of the ARI request that
 * created or dialled the channel, and the Q.850 cause of its ChannelDestroyed. Shared by the app (log
 * line and `/status` counter at the moment it happens) and the workers (STATUS_CODE and FAILED_REASON
 * of the CRM call), so both read a failure the same way. Pure.
 *
 * The "reason 0" story of the old connector — a soft-phone that silently failed to re-register gave
 * an originate that failed at once with no explanation — is the `unregistered` row: ARI answers
 * `POST /channels/create` with 500 "Allocation failed" (or 404 for an unknown endpoint), no event follows.
 */

/** What an admin can act on. */
export type OriginateFailureReason =
  | "unregistered"
  | "busy"
  | "noAnswer"
  | "rejected"
  | "congestion"
  | "trunkFailure"
  | "invalidNumber"
  | "failed";

export const ORIGINATE_FAILURE_REASONS: readonly OriginateFailureReason[] = [
  "unregistered",
  "busy",
  "noAnswer",
  "rejected",
  "congestion",
  "trunkFailure",
  "invalidNumber",
  "failed",
];

/** Which channel failed: an operator's phone (or the clicking user's), or the client on the trunk. */
export type OriginateSide = "operator" | "client";

export interface OriginateFailureInput {
  side: OriginateSide;
  /** HTTP status of the failed ARI request (`0` = no answer from ARI at all); absent when ARI accepted it. */
  ariStatus?: number;
  /** Q.850 cause of the channel's ChannelDestroyed, when the channel existed. */
  cause?: number;
  /** What is known when there is no cause (a channel found gone after the app was away). */
  noCauseText?: string;
}

export interface OriginateFailure {
  side: OriginateSide;
  reason: OriginateFailureReason;
  /** Short, log- and CRM-friendly: `ARI 500`, `cause 17 (user busy)`. */
  detail: string;
}

const CAUSE_TEXT: Record<number, string> = {
  1: "unallocated number",
  3: "no route to destination",
  16: "normal clearing",
  17: "user busy",
  18: "no user responding",
  19: "no answer",
  20: "subscriber absent",
  21: "call rejected",
  27: "destination out of order",
  28: "invalid number format",
  34: "circuit congestion",
  38: "network out of order",
  41: "temporary failure",
  42: "switching equipment congestion",
  58: "bearer capability not available",
  102: "recovery on timer expiry",
  127: "interworking",
};

/**
 * | input                                        | operator side  | client side (trunk) |
 * |----------------------------------------------|----------------|---------------------|
 * | ARI 500 (Allocation failed) / 404 / 422       | unregistered   | trunkFailure        |
 * | ARI 0 (no answer) or any other status         | failed         | failed              |
 * | cause 3 no route, 20 subscriber absent        | unregistered   | unregistered        |
 * | cause 17 busy                                 | busy           | busy                |
 * | cause 18, 19 no answer (and 16 before answer) | noAnswer       | noAnswer            |
 * | cause 21 rejected                             | rejected       | rejected            |
 * | cause 34, 42 congestion                       | congestion     | congestion          |
 * | cause 27, 38, 41, 58, 102 network failures    | trunkFailure   | trunkFailure        |
 * | cause 1, 28 bad number                        | invalidNumber  | invalidNumber       |
 * | anything else                                 | failed         | failed              |
 *
 * An ARI refusal wins over a cause (there is no channel, so no cause).
 */
export function decodeOriginateFailure(input: OriginateFailureInput): OriginateFailure {
  const { side, ariStatus, cause } = input;
  if (ariStatus !== undefined) {
    const allocation = ariStatus === 500 || ariStatus === 404 || ariStatus === 422;
    const reason: OriginateFailureReason = !allocation
      ? "failed"
      : side === "operator"
        ? "unregistered"
        : "trunkFailure";
    return { side, reason, detail: ariStatus === 0 ? "ARI unreachable" : `ARI ${ariStatus}` };
  }
  return { side, reason: reasonOfCause(cause), detail: causeDetail(cause, input.noCauseText) };
}

function reasonOfCause(cause: number | undefined): OriginateFailureReason {
  switch (cause) {
    case 3:
    case 20:
      return "unregistered";
    case 17:
      return "busy";
    case 16:
    case 18:
    case 19:
      return "noAnswer";
    case 21:
      return "rejected";
    case 34:
    case 42:
      return "congestion";
    case 27:
    case 38:
    case 41:
    case 58:
    case 102:
      return "trunkFailure";
    case 1:
    case 28:
      return "invalidNumber";
    default:
      return "failed";
  }
}

function causeDetail(cause: number | undefined, noCauseText = "no cause"): string {
  if (cause === undefined) return noCauseText;
  const text = CAUSE_TEXT[cause];
  return text ? `cause ${cause} (${text})` : `cause ${cause}`;
}

/** `telephony.externalcall.finish` STATUS_CODE of a call that never connected because of this failure. */
export const STATUS_CODE_BY_FAILURE = {
  unregistered: "480",
  busy: "486",
  noAnswer: "304",
  rejected: "603",
  congestion: "503",
  trunkFailure: "503",
  invalidNumber: "404",
  failed: "OTHER",
} as const satisfies Record<OriginateFailureReason, string>;

const WHAT: Record<OriginateFailureReason, string> = {
  unregistered: "not registered or unreachable",
  busy: "busy",
  noAnswer: "did not answer",
  rejected: "rejected the call",
  congestion: "congestion",
  trunkFailure: "trunk failure",
  invalidNumber: "invalid number",
  failed: "failed",
};

/** FAILED_REASON text: `phone 117: not registered or unreachable (ARI 500)`. */
export function describeOriginateFailure(failure: OriginateFailure, party?: string): string {
  const who = failure.side === "operator" ? `phone ${party ?? "?"}` : `client ${party ?? ""}`.trim();
  return `${who}: ${WHAT[failure.reason]} (${failure.detail})`;
}
