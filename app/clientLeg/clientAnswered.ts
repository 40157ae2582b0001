import { bridgeWithClient, startConversation } from "../calls/bridge.ts";
import { hangupQuietly } from "../calls/channels.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import { endCall } from "../calls/ending.ts";
import type { CallSession } from "../calls/session.ts";
import { legAwaitingClient } from "./trunkOriginate.ts";

/**
 * The client dialled through the trunk answered (Dial ANSWER, or found Up by a resync): bridged with
 * the channel that waits for it, the conversation starts and so does the recording
 * (`reactions.bridged`). The placing user's own channel of an outbound call is answered first (it
 * entered Stasis from the dialplan, still ringing); nobody waiting any more hangs the client up.
 */
export async function onClientAnswered(
  ctx: CallContext,
  call: CallSession,
  channelId: string,
): Promise<void> {
  if (call.ctl.clientAnswered) return; // the same answer reported twice
  const legId = legAwaitingClient(call.ctl);
  if (call.ctl.ending || !legId) return hangupQuietly(ctx, channelId);
  await call.change((c) => (c.clientAnswered = true), { type: "clientAnswered", at: nowIso() });
  try {
    if (call.ctl.legs[legId]!.purpose === "direct") await ctx.rest.answer(legId);
    await bridgeWithClient(ctx, call, legId);
    await startConversation(call, legId);
    await ctx.reactions.bridged(ctx, call);
  } catch (err) {
    call.log.warn({ err: (err as Error).message }, "could not connect the client");
    await endCall(ctx, call, { clientResult: "answered", hangupBy: "system" });
  }
}
