import { markBusy } from "./busy.ts";
import { hangupQuietly } from "./channels.ts";
import { nowIso, type CallContext } from "./context.ts";
import type { CallSession } from "./session.ts";

/** An operator leg rings (Dial RINGING/PROGRESS or its state turned Ringing). */
export async function legRinging(call: CallSession, legId: string): Promise<void> {
  if (call.ctl.legs[legId]?.state !== "dialling") return;
  await call.change((c) => (c.legs[legId]!.state = "ringing"), { type: "legRinging", at: nowIso(), legId });
}

/**
 * An operator leg answered (Dial ANSWER, its state turned Up, or a resync found it Up): it wins
 * unless another leg already did or the call is ending; the legs still ringing are hung up.
 * Returns whether the leg won (a second report of the same answer does not).
 */
export async function claimAnswer(ctx: CallContext, call: CallSession, legId: string): Promise<boolean> {
  const ctl = call.ctl;
  const leg = ctl.legs[legId];
  if (!leg || leg.state === "ended" || leg.state === "up") return false;
  const loses =
    ctl.ending || ctl.clientGone || (ctl.talkingLegId !== undefined && leg.purpose !== "transfer");
  if (loses) {
    const result = ctl.ending ? "cancelled" : "answeredElsewhere";
    await call.change((c) => (c.legs[legId]!.endResult = result));
    await hangupQuietly(ctx, legId, ctl.ending ? "normal" : "answered_elsewhere");
    return false;
  }
  const losers = Object.entries(ctl.legs)
    .filter(([id, l]) => id !== legId && (l.state === "dialling" || l.state === "ringing"))
    .map(([id]) => id);
  await call.change(
    (c) => {
      c.legs[legId]!.state = "up";
      c.hunt = undefined;
      for (const id of losers) c.legs[id]!.endResult = "answeredElsewhere";
    },
    { type: "legAnswered", at: nowIso(), legId },
  );
  ctx.timers.clear(call.callId, "hunt");
  markBusy(ctx, leg.extension, call.callId);
  for (const id of losers) await hangupQuietly(ctx, id, "answered_elsewhere");
  return true;
}
