import { claimAnswer } from "./answer.ts";
import { bridgeWithClient, startConversation } from "./bridge.ts";
import { nowIso, type CallContext } from "./context.ts";
import { endCall } from "./ending.ts";
import type { CallSession } from "./session.ts";

/**
 * An operator leg answered. The winner is bridged with the client (who is answered first if the PBX
 * had not answered yet); a transfer target completes its transfer instead.
 */
export async function connectAnsweredLeg(ctx: CallContext, call: CallSession, legId: string): Promise<void> {
  if (!(await claimAnswer(ctx, call, legId))) return;
  try {
    if (call.ctl.legs[legId]!.purpose === "transfer") {
      return await ctx.reactions.transferAnswered(ctx, call, legId);
    }
    const clientId = call.ctl.clientChannelId;
    if (!call.ctl.clientAnswered && clientId) {
      await ctx.rest.answer(clientId);
      await call.change((c) => (c.clientAnswered = true), { type: "clientAnswered", at: nowIso() });
    }
    await bridgeWithClient(ctx, call, legId);
    await startConversation(call, legId);
    await ctx.reactions.bridged(ctx, call);
  } catch (err) {
    // Typically the client hung up in the same instant (404): its ChannelDestroyed ends the call.
    call.log.warn({ legId, err: (err as Error).message }, "could not connect the answered leg");
    if (!call.ctl.clientGone) await endCall(ctx, call, { clientResult: "failed", hangupBy: "system" });
  }
}
