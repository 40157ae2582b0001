import { bridgeIdOf } from "./channels.ts";
import { nowIso, type CallContext } from "./context.ts";
import type { CallSession } from "./session.ts";

/** Puts the client and an answered leg into the call's mixing bridge (created on first use). */
export async function bridgeWithClient(ctx: CallContext, call: CallSession, legId: string): Promise<void> {
  const clientId = call.ctl.clientChannelId;
  if (!clientId) throw new Error("call has no client channel");
  let bridgeId = call.ctl.bridgeId;
  if (!bridgeId) {
    bridgeId = bridgeIdOf(call.callId);
    await call.change((c) => (c.bridgeId = bridgeIdOf(c.callId)));
    await ctx.rest.createBridge(bridgeId);
  }
  await ctx.rest.addToBridge(bridgeId, [clientId, legId]);
}

/** Client and leg are bridged: the conversation starts. */
export async function startConversation(call: CallSession, legId: string): Promise<void> {
  await call.change((c) => (c.talkingLegId = legId), { type: "conversationStarted", at: nowIso(), legId });
}
