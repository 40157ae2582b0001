import type { OriginateParams } from "../../core/hooks/api.ts";
import type { CallControl } from "../calls/control.ts";

/**
 * The pure part of dialling a client through the trunk, shared by an operator's outbound call,
 * click-to-call and the callback form: what is dialled and which channel waits for the client.
 */

/** `routing.trunkDialString` with the client's number in it: `PJSIP/{number}@trunk` → `PJSIP/+7495…@trunk`. */
export function trunkEndpoint(dialString: string, number: string): string {
  return dialString.replace("{number}", number);
}

/** What a trunk accepts as a number: digits, `*`, `#`, an optional leading `+`. */
export function dialableNumberProblem(number: string): string | undefined {
  return /^\+?[0-9*#]+$/.test(number) ? undefined : "not a dialable number";
}

export interface TrunkDial {
  dialString: string;
  number: string;
  /** Empty: Asterisk's own caller id (the trunk's). */
  callerId: string;
  timeoutSec: number;
}

/** The connector's own originate of the client's leg: beforeOriginate's default value. */
export function trunkOriginate(dial: TrunkDial): OriginateParams {
  return {
    endpoint: trunkEndpoint(dial.dialString, dial.number),
    callerId: dial.callerId,
    timeoutSec: dial.timeoutSec,
    variables: {},
  };
}

/**
 * The answered channel that waits for the client: the placing user's own phone (`direct`) of an
 * outbound call or click-to-call; the operator who took a callback. None: nobody waits any more.
 */
export function legAwaitingClient(ctl: Pick<CallControl, "direction" | "legs">): string | undefined {
  const up = Object.entries(ctl.legs).filter(([, l]) => l.state === "up");
  const waiting = ctl.direction === "callback" ? up[0] : up.find(([, l]) => l.purpose === "direct");
  return waiting?.[0];
}
