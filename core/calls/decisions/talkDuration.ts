import type { CallState } from "../types.ts";

/**
 * Talk time for the CRM's DURATION: the sum of all conversations of the call, in whole seconds
 * (rounded), 0 when nobody talked. A conversation still open counts until the call's end; while the
 * call is going on it does not count yet (no clock in a pure function).
 */
export function talkDurationSec(call: CallState): number {
  let totalMs = 0;
  for (const c of call.conversations) {
    const end = c.endedAt ?? call.endedAt;
    if (end === undefined) continue;
    totalMs += Math.max(0, Date.parse(end) - Date.parse(c.startedAt));
  }
  return Math.round(totalMs / 1000);
}
