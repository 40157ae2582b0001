import { startRecording } from "../recording/recorder.ts";
import type { CallControl } from "./control.ts";
import { nowIso, type CallContext } from "./context.ts";
import { bridgeWithClient, endCall, onLegAnswered, startConversation } from "./engine.ts";

/**
 * StasisStart `dialed,<callId>`: an operator leg answered. The winner is bridged with the client
 * (who is answered first if the PBX had not answered yet); the others are hung up.
 */
export async function connectAnsweredLeg(ctx: CallContext, ctl: CallControl, legId: string): Promise<void> {
  if (!(await onLegAnswered(ctx, ctl, legId))) return;
  const leg = ctl.legs[legId]!;
  try {
    if (leg.purpose === "transfer") {
      const { completeTransfer } = await import("../transfers/blind.ts");
      return await completeTransfer(ctx, ctl, legId);
    }
    if (!ctl.clientAnswered && ctl.clientChannelId) {
      await ctx.rest.answer(ctl.clientChannelId);
      ctl.clientAnswered = true;
      await ctx.controls.save(ctl);
      await ctx.runtime.record(ctl.callId, { type: "clientAnswered", at: nowIso() });
    }
    await bridgeWithClient(ctx, ctl, legId);
    await startConversation(ctx, ctl, legId);
    await startRecording(ctx, ctl);
  } catch (err) {
    // Typically the client hung up in the same instant (404): its ChannelDestroyed ends the call.
    ctx.logger.warn(
      { callId: ctl.callId, legId, err: (err as Error).message },
      "could not connect the answered leg",
    );
    if (!ctl.clientGone) await endCall(ctx, ctl, { clientResult: "failed", hangupBy: "system" });
  }
}
