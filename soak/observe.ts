import { ATTENDED, DEFAULT_USER_ID, userIdOf } from "./callCentre.ts";
import type { ObservedCall } from "./check.ts";
import type { SoakCall } from "./mix.ts";
import type { BridgedSpan } from "./ariObserver.ts";
import type { SippEvent } from "./sippLog.ts";
import type { AttendedTimes } from "./softPhone.ts";
import {
  callerSide,
  expectedOutcome,
  phoneLegs,
  type CallerSide,
  type PhoneLeg,
  type TalkWindow,
} from "./truth.ts";

/**
 * Turns what the phones logged, and when Asterisk had each caller in a bridge, into the truth of each
 * placed call (soak/truth.ts). Pure.
 * An attended transfer's legs come from the soft-phone's clock (it is not sipp) and from the
 * consultation leg on the target's phone, which joins the client's call at the transfer.
 */

export interface PlacedCall {
  call: SoakCall;
  callerEvents: SippEvent[];
  error?: string;
  attended?: AttendedTimes;
}

/** Every operator leg, by the caller number the phone saw. */
export function legsByNumber(operatorEvents: Map<string, SippEvent[]>): Map<string, PhoneLeg[]> {
  const all = new Map<string, PhoneLeg[]>();
  for (const [ext, events] of operatorEvents)
    for (const [number, legs] of phoneLegs(ext, events))
      all.set(number, [...(all.get(number) ?? []), ...legs]);
  return all;
}

/** The client could talk while Asterisk had it in a bridge, and not after it hung up. */
export function talkWindow(span: BridgedSpan | undefined, caller: CallerSide): TalkWindow | undefined {
  if (!span) return undefined;
  const to = Math.min(span.to ?? Infinity, caller.endedAt ?? Infinity);
  return { from: span.from, to: Number.isFinite(to) ? to : span.from };
}

export function observeCall(
  placed: PlacedCall,
  legs: Map<string, PhoneLeg[]>,
  bridged: Map<string, BridgedSpan>,
): ObservedCall {
  const { call } = placed;
  const caller = callerSide(placed.callerEvents);
  let callLegs = legs.get(call.clientNumber) ?? [];
  let extraDurationSec = 0;
  if (placed.attended) {
    callLegs = [...callLegs, ...attendedLegs(placed.attended, legs, caller.endedAt)];
    extraDurationSec = (placed.attended.transferredAt - placed.attended.consultAnsweredAt) / 1000;
  }
  const window = talkWindow(bridged.get(call.clientNumber), caller);
  const observed: ObservedCall = {
    seq: call.seq,
    scenario: call.scenario,
    clientNumber: call.clientNumber,
    caller,
    legs: callLegs,
    ...(window ? { window } : {}),
    expected: expectedOutcome(callLegs, window, {
      userIdOf,
      defaultUserId: DEFAULT_USER_ID,
      extraDurationSec,
    }),
  };
  if (placed.error !== undefined) observed.error = placed.error;
  return observed;
}

function attendedLegs(t: AttendedTimes, legs: Map<string, PhoneLeg[]>, callerEndedAt?: number): PhoneLeg[] {
  const operator: PhoneLeg = {
    extension: ATTENDED.extension,
    rangAt: t.rangAt,
    answeredAt: t.answeredAt,
    transferredAt: t.transferredAt,
    result: "answered",
  };
  // The target's phone saw the consultation call from the operator's extension.
  const consult = (legs.get(ATTENDED.extension) ?? []).find(
    (l) =>
      l.extension === ATTENDED.consultExtension && l.rangAt >= t.answeredAt && l.rangAt <= t.transferredAt,
  );
  const target: PhoneLeg = {
    extension: ATTENDED.consultExtension,
    rangAt: t.transferredAt,
    answeredAt: t.transferredAt,
    result: "answered",
    joinedWithoutRing: true,
  };
  const end = consult?.endedAt ?? callerEndedAt;
  if (end !== undefined) target.endedAt = end;
  return [operator, target];
}
