import type { CallEvent, ClientResult, LegResult } from "../../core/calls/types.ts";
import { isNotFound } from "../ari/rest.ts";
import { confirmRecordingEnd } from "../recording/recorder.ts";
import { clientResultFromCause, legResultFromCause } from "../routing/causes.ts";
import { liveChannels, type CallControl } from "./control.ts";
import { nowIso, type CallContext } from "./context.ts";

/**
 * Call control shared by every direction: a client channel, operator legs, one mixing bridge.
 * All functions run inside the call's serial queue. Hunting (who to ring next) is plugged in
 * through `onLegFailed`, so this module does not depend on routing.
 */

/** How long the app waits for hung-up channels to be destroyed before it closes the call anyway. */
const END_GRACE_MS = 5000;

export type LegFailedHook = (ctx: CallContext, ctl: CallControl, legId: string) => Promise<void>;
let legFailedHook: LegFailedHook = async () => {};
export function setLegFailedHook(hook: LegFailedHook): void {
  legFailedHook = hook;
}

export function record(ctx: CallContext, ctl: CallControl, event: CallEvent): Promise<unknown> {
  return ctx.runtime.record(ctl.callId, event);
}

export async function hangupQuietly(ctx: CallContext, channelId: string, reason = "normal"): Promise<void> {
  try {
    await ctx.rest.hangup(channelId, reason);
  } catch (err) {
    if (!isNotFound(err)) ctx.logger.warn({ channelId, err: (err as Error).message }, "hangup failed");
  }
}

export function bridgeIdOf(callId: string): string {
  return `itgrix-${callId}`;
}

export async function markBusy(ctx: CallContext, extension: string, callId: string): Promise<void> {
  await ctx.redis.hset(ctx.keys.busyOperators, extension, callId);
}

const RELEASE = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0`;
export async function releaseBusy(ctx: CallContext, extension: string, callId: string): Promise<void> {
  await ctx.redis.eval(RELEASE, 1, ctx.keys.busyOperators, extension, callId);
}

/** Puts the client and an answered leg into the call's mixing bridge (created on first use). */
export async function bridgeWithClient(ctx: CallContext, ctl: CallControl, legId: string): Promise<void> {
  if (!ctl.clientChannelId) throw new Error("call has no client channel");
  if (!ctl.bridgeId) {
    ctl.bridgeId = bridgeIdOf(ctl.callId);
    await ctx.controls.save(ctl);
    await ctx.rest.createBridge(ctl.bridgeId);
  }
  await ctx.rest.addToBridge(ctl.bridgeId, [ctl.clientChannelId, legId]);
}

/** An operator leg answered: it wins unless another leg already did or the call is ending. */
export async function onLegAnswered(ctx: CallContext, ctl: CallControl, legId: string): Promise<boolean> {
  const leg = ctl.legs[legId];
  if (!leg || leg.state === "ended") return false;
  const loses =
    ctl.ending || ctl.clientGone || (ctl.talkingLegId !== undefined && leg.purpose !== "transfer");
  if (loses) {
    leg.endResult = ctl.ending ? "cancelled" : "answeredElsewhere";
    await ctx.controls.save(ctl);
    await hangupQuietly(ctx, legId, ctl.ending ? "normal" : "answered_elsewhere");
    return false;
  }
  leg.state = "up";
  ctl.hunt = undefined;
  ctx.timers.clear(ctl.callId, "hunt");
  await ctx.controls.save(ctl);
  await record(ctx, ctl, { type: "legAnswered", at: nowIso(), legId });
  await markBusy(ctx, leg.extension, ctl.callId);
  for (const [otherId, other] of Object.entries(ctl.legs)) {
    if (otherId === legId || other.state === "up" || other.state === "ended") continue;
    other.endResult = "answeredElsewhere";
    await hangupQuietly(ctx, otherId, "answered_elsewhere");
  }
  await ctx.controls.save(ctl);
  return true;
}

/** Client and leg are bridged: the conversation starts. */
export async function startConversation(ctx: CallContext, ctl: CallControl, legId: string): Promise<void> {
  ctl.talkingLegId = legId;
  await ctx.controls.save(ctl);
  await record(ctx, ctl, { type: "conversationStarted", at: nowIso(), legId });
}

/** ChannelDestroyed of any channel of the call (or a channel found missing by resync). */
export async function onChannelGone(
  ctx: CallContext,
  ctl: CallControl,
  channelId: string,
  cause?: number,
  causeText?: string,
): Promise<void> {
  if (channelId === ctl.clientChannelId && !ctl.legs[channelId]) {
    await onClientGone(ctx, ctl, cause);
  } else if (ctl.legs[channelId]) {
    await onLegGone(ctx, ctl, channelId, cause, causeText);
  } else {
    ctl.aux = ctl.aux.filter((id) => id !== channelId);
    await ctx.controls.save(ctl);
  }
  await maybeFinish(ctx, ctl);
}

async function onClientGone(ctx: CallContext, ctl: CallControl, cause?: number): Promise<void> {
  ctl.clientGone = true;
  await ctx.controls.save(ctl);
  if (ctl.ending) return;
  if (ctl.talkingLegId) {
    await record(ctx, ctl, {
      type: "conversationEnded",
      at: nowIso(),
      legId: ctl.talkingLegId,
      reason: "hangup",
    });
    return endCall(ctx, ctl, { clientResult: "answered", hangupBy: "client" });
  }
  if (ctl.direction === "outbound") {
    return endCall(ctx, ctl, {
      clientResult: clientResultFromCause(cause),
      clientCause: cause,
      hangupBy: "client",
    });
  }
  // An inbound/internal caller who hangs up before anybody answered.
  return endCall(ctx, ctl, { clientResult: "cancelled", clientCause: cause, hangupBy: "client" });
}

async function onLegGone(
  ctx: CallContext,
  ctl: CallControl,
  legId: string,
  cause?: number,
  causeText?: string,
): Promise<void> {
  const leg = ctl.legs[legId]!;
  if (leg.state === "ended") return;
  const wasUp = leg.state === "up";
  leg.state = "ended";
  await ctx.controls.save(ctl);
  const result: LegResult = leg.endResult ?? (wasUp ? "answered" : legResultFromCause(cause));
  await record(ctx, ctl, { type: "legEnded", at: nowIso(), legId, cause, causeText, result });
  if (wasUp) await releaseBusy(ctx, leg.extension, ctl.callId);
  if (leg.transferredAway || ctl.ending) return;
  if (legId === ctl.talkingLegId) {
    ctl.talkingLegId = undefined;
    return endCall(ctx, ctl, { clientResult: "answered", hangupBy: "operator" });
  }
  if (wasUp && leg.purpose === "direct" && ctl.direction === "outbound") {
    // The operator who placed the call hung up before the client answered.
    return endCall(ctx, ctl, { clientResult: "cancelled", hangupBy: "operator" });
  }
  if (!wasUp && leg.purpose === "transfer") {
    // The transfer target did not answer: the client is left alone with the transfer's Local half.
    return endCall(ctx, ctl, { clientResult: "answered", hangupBy: "system" });
  }
  if (!wasUp && ctl.talkingLegId === undefined) await legFailedHook(ctx, ctl, legId);
}

/** Starts tearing the call down; `callEnded` is recorded once every channel is gone. */
export async function endCall(
  ctx: CallContext,
  ctl: CallControl,
  ending: { clientResult?: ClientResult; clientCause?: number; hangupBy: "client" | "operator" | "system" },
): Promise<void> {
  if (ctl.ending) return;
  ctl.ending = ending;
  ctl.hunt = undefined;
  ctx.timers.clear(ctl.callId);
  for (const leg of Object.values(ctl.legs)) {
    if (leg.state !== "ended" && leg.state !== "up") leg.endResult ??= "cancelled";
  }
  await ctx.controls.save(ctl);
  for (const id of [...liveChannels(ctl), ...ctl.aux]) await hangupQuietly(ctx, id);
  if (ctl.bridgeId) {
    await ctx.rest.destroyBridge(ctl.bridgeId).catch(() => undefined);
  }
  ctx.timers.set(ctl.callId, "endGrace", END_GRACE_MS, () => forceFinish(ctx, ctl));
  await maybeFinish(ctx, ctl);
}

/** Records callEnded when the call is ending and no channel is left. */
export async function maybeFinish(ctx: CallContext, ctl: CallControl): Promise<void> {
  if (!ctl.ending || ctl.ended || liveChannels(ctl).length > 0) return;
  ctl.ended = true;
  ctx.timers.clear(ctl.callId);
  if (ctl.originExtension) await releaseBusy(ctx, ctl.originExtension, ctl.callId);
  await ctx.controls.save(ctl);
  await record(ctx, ctl, { type: "callEnded", at: nowIso(), ...ctl.ending });
  if (ctl.recording) confirmRecordingEnd(ctx, ctl.callId, ctl.recording);
  await ctx.controls.forget(ctl);
  ctx.logger.info({ callId: ctl.callId, ...ctl.ending }, "call ended");
}

/** Channels that never reported their end are closed in the model without a cause. */
async function forceFinish(ctx: CallContext, ctl: CallControl): Promise<void> {
  if (ctl.ended) return;
  for (const id of liveChannels(ctl)) {
    ctx.logger.warn({ callId: ctl.callId, channelId: id }, "channel did not report its end; closing it");
    await onChannelGone(ctx, ctl, id);
  }
  await maybeFinish(ctx, ctl);
}
