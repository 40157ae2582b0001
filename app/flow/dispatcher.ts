import { isNotFound } from "../ari/rest.ts";
import type { AriChannel, AriEvent } from "../ari/types.ts";
import { onCallbackAnswered } from "../callback/callbackCall.ts";
import { legRinging } from "../calls/answer.ts";
import { hangupQuietly } from "../calls/channels.ts";
import { connectAnsweredLeg } from "../calls/connect.ts";
import { isClickerLeg, onClickerAnswered } from "../clickToCall/clickerAnswered.ts";
import { onClientAnswered } from "../clientLeg/clientAnswered.ts";
import type { CallContext } from "../calls/context.ts";
import { onChannelGone } from "../calls/ending.ts";
import type { CallSession } from "../calls/session.ts";
import { inIvr, onIvrDigit } from "../ivr/ivr.ts";
import { startOutbound } from "../outbound/outbound.ts";
import { onRecordingEvent } from "../recording/recorder.ts";
import { callIdOf, startInbound } from "../routing/inbound.ts";
import { onAttendedTransfer } from "../transfers/attended.ts";
import { onBlindTransfer, onSwap, onTransferTarget } from "../transfers/blind.ts";
import { transferCallOf } from "../transfers/transferCall.ts";
import { HANDOFF_VARIABLE } from "../routing/handoff.ts";

/**
 * Routes each ARI event to its call and runs the handler in the call's serial queue, so one call's
 * events are handled (and made durable) strictly one after another. Nothing here throws into the
 * websocket: a failing handler is logged with its call by the serial queue.
 */
export function dispatchAriEvent(ctx: CallContext, e: AriEvent): void {
  switch (e.type) {
    case "StasisStart":
      return onStasisStart(ctx, e);
    case "ChannelDestroyed":
      return withCall(ctx, e.channel.id, (call) =>
        onChannelGone(ctx, call, e.channel.id, e.cause, e.cause_txt),
      );
    case "StasisEnd":
      return withCall(ctx, e.channel.id, async (call) => checkGoneLater(ctx, call, e.channel.id));
    case "Dial":
      return onDial(ctx, e.peer.id, e.dialstatus);
    case "ChannelStateChange":
      return onStateChange(ctx, e.channel);
    case "ChannelDtmfReceived":
      return withCall(ctx, e.channel.id, async (call) => {
        if (e.channel.id === call.ctl.clientChannelId && inIvr(call)) await onIvrDigit(ctx, call, e.digit);
      });
    case "BridgeBlindTransfer":
      return withCall(ctx, e.channel.id, (call) => onBlindTransfer(ctx, call, e));
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
    return withCall(ctx, replaced.id, (call) => onSwap(call, e.channel, replaced));
  }
  if ((kind === "inbound" || kind === "outbound") && ctx.sessions.get(callIdOf(ctx, e.channel))) {
    return; // a resync already started it (its first StasisStart was lost), or a duplicate
  }
  switch (kind) {
    case "inbound":
      return startInbound(ctx, e.channel, arg ?? e.channel.dialplan?.exten ?? "");
    case "outbound":
      return startOutbound(ctx, e.channel, arg ?? e.channel.dialplan?.exten ?? "");
    case "dialed":
    case "client":
      // A channel we created and dial: it enters Stasis at once (Down); its answer comes as Dial ANSWER.
      return withCallId(ctx, arg, e.channel.id, async (call) => {
        if (e.channel.state === "Up") await onAnswered(ctx, call, e.channel.id);
      });
    case "transfer":
      return onTransferStart(ctx, e.channel, arg ?? e.channel.dialplan?.exten ?? "");
    default:
      ctx.logger.warn(
        { channelId: e.channel.id, args: e.args },
        "StasisStart with unknown arguments; hanging up",
      );
      void hangupQuietly(ctx, e.channel.id);
  }
}

function onDial(ctx: CallContext, channelId: string, dialstatus: string): void {
  if (dialstatus === "RINGING" || dialstatus === "PROGRESS")
    return withCall(ctx, channelId, (call) => legRinging(call, channelId));
  if (dialstatus === "ANSWER") return withCall(ctx, channelId, (call) => onAnswered(ctx, call, channelId));
}

function onStateChange(ctx: CallContext, channel: AriChannel): void {
  if (channel.state === "Ringing") return withCall(ctx, channel.id, (call) => legRinging(call, channel.id));
  if (channel.state === "Up") return withCall(ctx, channel.id, (call) => onAnswered(ctx, call, channel.id));
}

/** A channel the app dialled answered: an operator leg, or the client of an outbound call. */
export async function onAnswered(ctx: CallContext, call: CallSession, channelId: string): Promise<void> {
  const ctl = call.ctl;
  if (isClickerLeg(call, channelId)) return onClickerAnswered(ctx, call, channelId);
  if (ctl.direction === "callback") return onCallbackAnswered(ctx, call, channelId);
  if (ctl.legs[channelId]) return connectAnsweredLeg(ctx, call, channelId);
  if (ctl.direction === "outbound" && channelId === ctl.clientChannelId)
    return onClientAnswered(ctx, call, channelId);
}

/**
 * The Local `;2` half of a blind transfer: ring the target for its call. When no call can be found
 * for it, it goes back to the dialplan (a plain dial of the target) instead of being hung up: hanging
 * it up would leave the client alone in the bridge with nobody to talk to.
 */
function onTransferStart(ctx: CallContext, channel: AriChannel, exten: string): void {
  void transferCallOf(ctx, channel, exten)
    .then(async (match) => {
      const log = { channelId: channel.id, exten, by: match.by };
      if (match.callId) {
        if (match.by !== "linkedid")
          ctx.logger.warn({ ...log, callId: match.callId }, "blind transfer adopted");
        return withCallId(ctx, match.callId, channel.id, (call) =>
          onTransferTarget(ctx, call, channel, exten),
        );
      }
      if (match.by === "gone") return ctx.logger.warn(log, "blind transfer: its channel is gone already");
      ctx.logger.error(
        { ...log, candidates: match.candidates },
        "blind transfer of no known call: handed to the dialplan (not followed in the CRM)",
      );
      await ctx.rest.setVariable(channel.id, HANDOFF_VARIABLE, "fallback");
      await ctx.rest.continueInDialplan(channel.id);
    })
    .catch((err: Error) =>
      ctx.logger.error({ channelId: channel.id, exten, err: err.message }, "blind transfer start failed"),
    );
}

/**
 * A channel that entered Stasis from the dialplan is only implicitly subscribed: after StasisEnd its
 * ChannelDestroyed may never reach the app. So a StasisEnd is followed by a look: gone (404) = ended.
 */
function checkGoneLater(ctx: CallContext, call: CallSession, channelId: string): void {
  const ctl = call.ctl;
  const isClient = channelId === ctl.clientChannelId && !ctl.legs[channelId];
  const tracked = isClient ? !ctl.clientGone : ctl.legs[channelId] && ctl.legs[channelId].state !== "ended";
  if (!tracked) return;
  ctx.timers.set(call.callId, `gone:${channelId}`, 1500, async () => {
    if (call.ctl.ended) return;
    try {
      await ctx.rest.getChannel(channelId);
    } catch (err) {
      if (isNotFound(err)) await onChannelGone(ctx, call, channelId);
    }
  });
}

/** Runs a handler for the call a channel belongs to (events of unknown channels are ignored). */
function withCall(ctx: CallContext, channelId: string, handler: (call: CallSession) => Promise<void>): void {
  void ctx.sessions
    .callOf(channelId)
    .then((callId) => {
      if (callId) withCallId(ctx, callId, undefined, handler);
    })
    .catch((err: Error) => ctx.logger.error({ channelId, err: err.message }, "channel lookup failed"));
}

function withCallId(
  ctx: CallContext,
  callId: string | undefined,
  channelId: string | undefined,
  handler: (call: CallSession) => Promise<void>,
): void {
  if (!callId) {
    if (channelId) {
      ctx.logger.warn({ channelId }, "channel of no known call hung up");
      void hangupQuietly(ctx, channelId);
    }
    return;
  }
  void ctx.serial.run(callId, async () => {
    const call = await ctx.sessions.find(callId);
    if (!call || call.ctl.ended) {
      if (channelId) {
        ctx.logger.info({ callId, channelId }, "channel of an ended call hung up");
        await hangupQuietly(ctx, channelId); // a leg answering after its call ended
      }
      return;
    }
    await handler(call);
  });
}
