import { isNotFound } from "../ari/rest.ts";
import type { AriEvent } from "../ari/types.ts";
import { dropIvr, inIvr, onIvrDigit } from "../ivr/ivr.ts";
import { onClientAnswered, startOutbound } from "../outbound/outbound.ts";
import { onRecordingEvent } from "../recording/recorder.ts";
import { startInbound } from "../routing/inbound.ts";
import { onAttendedTransfer } from "../transfers/attended.ts";
import { onBlindTransfer, onSwap, onTransferTarget } from "../transfers/blind.ts";
import { connectAnsweredLeg } from "./connect.ts";
import type { CallControl } from "./control.ts";
import { nowIso, type CallContext } from "./context.ts";
import { hangupQuietly, onChannelGone, record } from "./engine.ts";

/**
 * Routes each ARI event to its call and runs the handler in the call's serial queue, so one call's
 * events are handled (and made durable) strictly one after another.
 */
export function dispatchAriEvent(ctx: CallContext, e: AriEvent): void {
  switch (e.type) {
    case "StasisStart":
      return onStasisStart(ctx, e);
    case "ChannelDestroyed":
      return withCall(ctx, e.channel.id, async (ctl) => {
        await onChannelGone(ctx, ctl, e.channel.id, e.cause, e.cause_txt);
        if (ctl.ending) dropIvr(ctl.callId);
      });
    case "StasisEnd":
      return withCall(ctx, e.channel.id, async (ctl) => checkGoneLater(ctx, ctl, e.channel.id));
    case "Dial":
      if (e.dialstatus === "RINGING" || e.dialstatus === "PROGRESS") return legRinging(ctx, e.peer.id);
      return;
    case "ChannelStateChange":
      if (e.channel.state === "Ringing") return legRinging(ctx, e.channel.id);
      return;
    case "ChannelDtmfReceived":
      return withCall(ctx, e.channel.id, async (ctl) => {
        if (e.channel.id === ctl.clientChannelId && inIvr(ctl.callId)) await onIvrDigit(ctx, ctl, e.digit);
      });
    case "BridgeBlindTransfer":
      return withCall(ctx, e.channel.id, (ctl) => onBlindTransfer(ctx, ctl, e));
    case "BridgeAttendedTransfer":
      return onAttendedTransfer(ctx, e);
    case "RecordingStarted":
    case "RecordingFinished":
    case "RecordingFailed": {
      const callId = e.recording.name.split("/")[1];
      if (callId) void ctx.serial.run(callId, () => onRecordingEvent(ctx, e.type, e.recording));
      return;
    }
    default:
      return;
  }
}

function onStasisStart(ctx: CallContext, e: Extract<AriEvent, { type: "StasisStart" }>): void {
  const [kind, arg] = e.args;
  if (e.replace_channel) {
    const replaced = e.replace_channel;
    return withCall(ctx, replaced.id, (ctl) => onSwap(ctx, ctl, e.channel, replaced));
  }
  switch (kind) {
    case "inbound":
      return startInbound(ctx, e.channel, arg ?? e.channel.dialplan?.exten ?? "");
    case "outbound":
      return startOutbound(ctx, e.channel, arg ?? e.channel.dialplan?.exten ?? "");
    case "dialed":
      return withCallId(ctx, arg, e.channel.id, (ctl) => connectAnsweredLeg(ctx, ctl, e.channel.id));
    case "client":
      return withCallId(ctx, arg, e.channel.id, (ctl) => onClientAnswered(ctx, ctl, e.channel.id));
    case "transfer":
      void transferCallId(ctx, e.channel.id).then((callId) =>
        withCallId(ctx, callId, e.channel.id, (ctl) => onTransferTarget(ctx, ctl, e.channel, arg ?? "")),
      );
      return;
    default:
      ctx.logger.warn(
        { channelId: e.channel.id, args: e.args },
        "StasisStart with unknown arguments; hanging up",
      );
      void hangupQuietly(ctx, e.channel.id);
  }
}

/** The Local `;2` half of a transfer inherits the call's linkedid from the transferring channel. */
async function transferCallId(ctx: CallContext, channelId: string): Promise<string | undefined> {
  try {
    return await ctx.rest.getVariable(channelId, "CHANNEL(linkedid)");
  } catch {
    return undefined;
  }
}

/**
 * A channel that entered Stasis from the dialplan is only implicitly subscribed: after StasisEnd its
 * ChannelDestroyed may never reach the app. So a StasisEnd is followed by a look: gone (404) = ended.
 */
function checkGoneLater(ctx: CallContext, ctl: CallControl, channelId: string): void {
  const tracked =
    channelId === ctl.clientChannelId ? !ctl.clientGone : ctl.legs[channelId]?.state !== "ended";
  if (!tracked || (!ctl.legs[channelId] && channelId !== ctl.clientChannelId)) return;
  ctx.timers.set(ctl.callId, `gone:${channelId}`, 1500, async () => {
    if (ctl.ended) return;
    try {
      await ctx.rest.getChannel(channelId);
    } catch (err) {
      if (isNotFound(err)) await onChannelGone(ctx, ctl, channelId);
    }
  });
}

function legRinging(ctx: CallContext, channelId: string): void {
  withCall(ctx, channelId, async (ctl) => {
    const leg = ctl.legs[channelId];
    if (!leg || leg.state !== "dialling") return;
    leg.state = "ringing";
    await ctx.controls.save(ctl);
    await record(ctx, ctl, { type: "legRinging", at: nowIso(), legId: channelId });
  });
}

/** Runs a handler for the call a channel belongs to (events of unknown channels are ignored). */
function withCall(ctx: CallContext, channelId: string, handler: (ctl: CallControl) => Promise<void>): void {
  void ctx.controls.callOf(channelId).then((callId) => {
    if (callId) withCallId(ctx, callId, undefined, handler);
  });
}

function withCallId(
  ctx: CallContext,
  callId: string | undefined,
  channelId: string | undefined,
  handler: (ctl: CallControl) => Promise<void>,
): void {
  if (!callId) {
    if (channelId) void hangupQuietly(ctx, channelId);
    return;
  }
  void ctx.serial.run(callId, async () => {
    const ctl = await ctx.controls.load(callId);
    if (!ctl || ctl.ended) {
      if (channelId) await hangupQuietly(ctx, channelId); // a leg answering after its call ended
      return;
    }
    await handler(ctl);
  });
}
