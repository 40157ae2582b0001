import type { ClientResult, LegResult } from "../../core/calls/types.ts";
import { releaseBusy } from "./busy.ts";
import { hangupQuietly } from "./channels.ts";
import { clientResultFromCause, legResultFromCause } from "./causes.ts";
import { liveChannels } from "./control.ts";
import type { OriginateFailureInput } from "../../core/calls/originateFailure.ts";
import { isOriginateFailure, originateFailed } from "./originateDiagnostics.ts";
import { nowIso, type CallContext } from "./context.ts";
import { dialsClient } from "./phase.ts";
import type { CallSession } from "./session.ts";

/**
 * How calls end: a channel goes (ChannelDestroyed, or found missing by a resync), the call is torn
 * down (`endCall`: hang up what is left), and `callEnded` is recorded once every channel is gone.
 * All functions run inside the call's serial queue. `at` is when it happened (a resync passes the
 * moment it lost sight of Asterisk).
 */

/** How long the app waits for hung-up channels to be destroyed before it closes the call anyway. */
const END_GRACE_MS = 5000;

type Ending = NonNullable<import("./control.ts").CallControl["ending"]>;

export async function onChannelGone(
  ctx: CallContext,
  call: CallSession,
  channelId: string,
  cause?: number,
  causeText?: string,
  at = nowIso(),
): Promise<void> {
  const ctl = call.ctl;
  if (channelId === ctl.clientChannelId && !ctl.legs[channelId]) {
    await onClientGone(ctx, call, cause, at, causeText);
  } else if (ctl.legs[channelId]) {
    await onLegGone(ctx, call, channelId, { cause, causeText, at });
  } else if (ctl.aux.includes(channelId)) {
    await call.change((c) => {
      c.aux = c.aux.filter((id) => id !== channelId);
      (c.gone ??= []).push(channelId);
    });
  }
  await maybeFinish(ctx, call, at);
}

async function onClientGone(
  ctx: CallContext,
  call: CallSession,
  cause: number | undefined,
  at: string,
  causeText?: string,
) {
  const ctl = call.ctl;
  const talking = ctl.ending ? undefined : ctl.talkingLegId;
  const ended = talking
    ? [{ type: "conversationEnded" as const, at, legId: talking, reason: "hangup" as const }]
    : [];
  await call.change((c) => (c.clientGone = true), ...ended);
  if (ctl.ending) return;
  if (talking) return endCall(ctx, call, { clientResult: "answered", hangupBy: "client" }, at);
  if (!dialsClient(ctl)) {
    return endCall(ctx, call, { clientResult: "cancelled", clientCause: cause, hangupBy: "client" }, at);
  }
  // The trunk leg of an outbound call, click-to-call or callback failed by itself before an answer.
  const clientResult: ClientResult = clientResultFromCause(cause);
  const noCauseText = cause === undefined ? causeText : undefined;
  const clientFailure = originateFailed(ctx, call, { side: "client", cause, noCauseText }, "");
  return endCall(ctx, call, { clientResult, clientCause: cause, hangupBy: "client", clientFailure }, at);
}

interface LegEnd {
  cause?: number;
  causeText?: string;
  at: string;
}

async function onLegGone(ctx: CallContext, call: CallSession, legId: string, end: LegEnd): Promise<void> {
  const ctl = call.ctl;
  const leg = ctl.legs[legId]!;
  if (leg.state === "ended") return;
  const wasUp = leg.state === "up";
  const result: LegResult = leg.endResult ?? (wasUp ? "answered" : legResultFromCause(end.cause));
  const talking = legId === ctl.talkingLegId && !leg.transferredAway && !ctl.ending;
  const failure =
    !wasUp && !leg.endResult && isOriginateFailure(result)
      ? originateFailed(ctx, call, operatorFailureInput(end), leg.extension)
      : undefined;
  await call.change(
    (c) => {
      c.legs[legId]!.state = "ended";
      if (talking) c.talkingLegId = undefined;
    },
    { type: "legEnded", legId, result, ...end, ...(failure ? { failure } : {}) },
  );
  if (wasUp) releaseBusy(ctx, leg.extension, call.callId);
  if (leg.transferredAway || ctl.ending) return;
  if (talking) return endCall(ctx, call, { clientResult: "answered", hangupBy: "operator" }, end.at);
  if (wasUp && leg.purpose === "direct" && ctl.direction === "outbound") {
    // The operator who placed the call hung up before the client answered.
    return endCall(ctx, call, { clientResult: "cancelled", hangupBy: "operator" }, end.at);
  }
  if (wasUp && ctl.direction === "callback" && !ctl.clientAnswered) {
    // The operator who took a callback hung up before the client answered.
    return endCall(ctx, call, { clientResult: "cancelled", hangupBy: "operator" }, end.at);
  }
  if (!wasUp && leg.purpose === "transfer") {
    // The transfer target did not answer: the client is left alone with the transfer's Local half.
    return endCall(ctx, call, { clientResult: "answered", hangupBy: "system" }, end.at);
  }
  if (!wasUp && ctl.talkingLegId === undefined) await ctx.reactions.legFailed(ctx, call, legId);
}

function operatorFailureInput(end: LegEnd): OriginateFailureInput {
  const noCauseText = end.cause === undefined ? end.causeText : undefined;
  return { side: "operator", cause: end.cause, noCauseText };
}

/** Starts tearing the call down; `callEnded` is recorded once every channel is gone. */
export async function endCall(
  ctx: CallContext,
  call: CallSession,
  ending: Ending,
  at?: string,
): Promise<void> {
  const ctl = call.ctl;
  if (ctl.ending) return;
  // A leg with a result was hung up already, with its own reason (no_answer, answered_elsewhere):
  // hanging it up again while Asterisk tears it down would overwrite its cause with 16.
  const toHangUp = [...liveChannels(ctl), ...ctl.aux].filter((id) => !ctl.legs[id]?.endResult);
  await call.change((c) => {
    c.ending = ending;
    c.hunt = undefined;
    c.ivr = undefined;
    for (const leg of Object.values(c.legs)) {
      if (leg.state !== "ended" && leg.state !== "up") leg.endResult ??= "cancelled";
    }
  });
  ctx.timers.clear(call.callId);
  for (const id of toHangUp) await hangupQuietly(ctx, id);
  if (ctl.bridgeId) await ctx.rest.destroyBridge(ctl.bridgeId).catch(() => undefined);
  ctx.timers.set(call.callId, "endGrace", END_GRACE_MS, () => forceFinish(ctx, call));
  await maybeFinish(ctx, call, at);
}

/** Records callEnded when the call is ending and no channel is left; the session is then closed. */
export async function maybeFinish(ctx: CallContext, call: CallSession, at = nowIso()): Promise<void> {
  const ctl = call.ctl;
  if (!ctl.ending || ctl.ended || liveChannels(ctl).length > 0) return;
  ctx.timers.clear(call.callId);
  if (ctl.originExtension) releaseBusy(ctx, ctl.originExtension, call.callId);
  await call.change((c) => (c.ended = true), { type: "callEnded", at, ...ctl.ending });
  ctx.sessions.close(call);
  ctx.reactions.ended(ctx, call);
  call.log.info({ ...ctl.ending }, "call ended");
}

/** Channels that never reported their end are closed in the model without a cause. */
async function forceFinish(ctx: CallContext, call: CallSession): Promise<void> {
  if (call.ctl.ended) return;
  for (const id of liveChannels(call.ctl)) {
    call.log.warn({ channelId: id }, "channel did not report its end; closing it");
    await onChannelGone(ctx, call, id);
  }
  await maybeFinish(ctx, call);
}
