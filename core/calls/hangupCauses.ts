/**
 * Q.850 hangup causes → call model results, shared by the live app (ChannelDestroyed.cause) and the
 * rebuild from CEL (HANGUP `hangupcause`), so both read a cause the same way.
 */
import type { ClientResult, LegResult } from "./types.ts";

/**
 * Q.850 hangup cause (ChannelDestroyed.cause) of an operator leg that was never answered → LegResult.
 *
 * | cause                         | result            |
 * |-------------------------------|-------------------|
 * | 17 user busy                  | busy              |
 * | 18 no user responding, 19 no answer | noanswer    |
 * | 21 call rejected              | rejected          |
 * | 3 no route, 20 subscriber absent | unregistered   |
 * | 26 answered elsewhere         | answeredElsewhere |
 * | 16 normal clearing, 127 (487 to our CANCEL) | cancelled |
 * | anything else                 | failed            |
 */
export function legResultFromCause(cause: number | undefined): LegResult {
  switch (cause) {
    case 17:
      return "busy";
    case 18:
    case 19:
      return "noanswer";
    case 21:
      return "rejected";
    case 3:
    case 20:
      return "unregistered";
    case 26:
      return "answeredElsewhere";
    case 16:
    case 127:
      return "cancelled";
    default:
      return "failed";
  }
}

/**
 * Cause of the client (trunk) channel of an outbound call that never answered → ClientResult.
 * `operatorHungUpFirst` wins over the cause: the operator cancelled the call (CRM: 603-S).
 *
 * | cause                                   | result       |
 * |-----------------------------------------|--------------|
 * | 17 user busy, 21 rejected (declined)    | busy         |
 * | 18 no user responding, 19 no answer     | noanswer     |
 * | 3, 20, 27, 38, 41 (unreachable, failure) | unavailable |
 * | 34, 42 (congestion)                     | congestion   |
 * | 1 unallocated, 28 invalid format        | badNumber    |
 * | 16 normal clearing before an answer     | noanswer     |
 * | anything else                           | failed       |
 */
export function clientResultFromCause(cause: number | undefined, operatorHungUpFirst = false): ClientResult {
  if (operatorHungUpFirst) return "cancelled";
  switch (cause) {
    case 17:
    case 21:
      return "busy";
    case 16:
    case 18:
    case 19:
      return "noanswer";
    case 3:
    case 20:
    case 27:
    case 38:
    case 41:
      return "unavailable";
    case 34:
    case 42:
      return "congestion";
    case 1:
    case 28:
      return "badNumber";
    default:
      return "failed";
  }
}
