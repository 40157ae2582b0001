import type { CallControl } from "../calls/control.ts";

/**
 * A channel took another's place (StasisStart with replace_channel: a transfer's Local half swapped
 * into the bridge, or a masquerade). Re-keys the call's control state from the old channel id to the
 * new one. Pure (returns a new object) and says what the old channel was.
 */
export function rekeyChannel(
  ctl: CallControl,
  oldId: string,
  newId: string,
): { ctl: CallControl; role: "client" | "leg" | "aux" | "unknown" } {
  const next: CallControl = structuredClone(ctl);
  if (next.clientChannelId === oldId && !next.legs[oldId]) {
    next.clientChannelId = newId;
    (next.gone ??= []).push(oldId);
    return { ctl: next, role: "client" };
  }
  if (!next.aux.includes(newId)) next.aux.push(newId);
  const leg = next.legs[oldId];
  if (leg) {
    // The operator's place in the bridge is now held by a helper channel; the operator leg leaves.
    leg.transferredAway = true;
    if (next.talkingLegId === oldId) delete next.talkingLegId;
    return { ctl: next, role: "leg" };
  }
  return { ctl: next, role: next.aux.includes(oldId) ? "aux" : "unknown" };
}
