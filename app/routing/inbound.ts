import type { AriChannel } from "../ari/types.ts";
import type { CallControl } from "../calls/control.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import { endCall } from "../calls/ending.ts";
import { startIvr } from "../ivr/ivr.ts";
import { handToDialplan } from "./handoff.ts";
import { startGroupHunt } from "./hunt.ts";

/** The call id is Asterisk's linkedid (scoped by server); a trunk's inbound channel is the first of its call. */
export function callIdOf(ctx: CallContext, channel: AriChannel): string {
  return ctx.server.callIdOf(channel.channelvars?.["CHANNEL(linkedid)"] || channel.id);
}

/** `Stasis(itgrix,inbound,<DID>)`: a client calls a line; ring its group (or run its IVR). */
export function startInbound(ctx: CallContext, channel: AriChannel, did: string): void {
  const callId = callIdOf(ctx, channel);
  const ctl: CallControl = {
    callId,
    direction: "inbound",
    clientChannelId: channel.id,
    clientAnswered: false,
    clientNumber: channel.caller.number,
    lineNumber: did,
    legs: {},
    aux: [],
    legSeq: 0,
  };
  const call = ctx.sessions.open(ctl);
  void ctx.serial.run(callId, async () => {
    const started = await call.start({
      type: "callStarted",
      at: nowIso(),
      callId,
      direction: "inbound",
      clientNumber: channel.caller.number,
      lineNumber: did,
      clientChannelId: channel.id,
    });
    if (started === "unreachable") return handToDialplan(ctx, call, channel.id);
    // Explicit subscription: ChannelDestroyed (with its cause) then arrives even after StasisEnd.
    await ctx.rest.subscribe(ctx.config.ari.app, `channel:${channel.id}`).catch(() => undefined);
    call.log.info({ did, from: channel.caller.number }, "inbound call");
    const line = ctx.config.routing.dids[did];
    if (line?.ivr) return startIvr(ctx, call, line.group);
    const group = line?.group ?? ctx.config.routing.defaultGroup;
    if (!group) return endCall(ctx, call, { clientResult: "noanswer", hangupBy: "system" });
    await ctx.rest.ring(channel.id).catch(() => undefined);
    await startGroupHunt(ctx, call, group);
  });
}
