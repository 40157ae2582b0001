import { randomUUID } from "node:crypto";
import { AriHttpError } from "../ari/rest.ts";
import type { AriChannel } from "../ari/types.ts";
import { bridgeWithClient, startConversation } from "../calls/bridge.ts";
import { markBusy } from "../calls/busy.ts";
import { hangupQuietly } from "../calls/channels.ts";
import type { CallControl } from "../calls/control.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import { endCall } from "../calls/ending.ts";
import { originateFailed } from "../calls/originateDiagnostics.ts";
import type { CallSession } from "../calls/session.ts";
import { isInternalNumber, knownOperators, outboundLine } from "../../core/config/routingRules.ts";
import { handToDialplan } from "../routing/handoff.ts";
import { startExtensionHunt } from "../routing/hunt.ts";
import { callIdOf } from "../routing/inbound.ts";
import { onOriginateFailedHook, originateParams, runAppHook } from "../hooks/appHooks.ts";

/** `PJSIP/101-0000002a` → `101` (the endpoint name is the extension). */
export function extensionOfChannel(channel: Pick<AriChannel, "name" | "caller">): string {
  const m = /^[A-Za-z0-9_]+\/(.+)-[0-9a-f]+$/.exec(channel.name);
  return m?.[1] ?? channel.caller.number;
}

export { isInternalNumber, outboundLine } from "../../core/config/routingRules.ts";

/** `Stasis(itgrix,outbound,<exten>)` from an operator phone: an internal or an outbound call. */
export function startOutbound(ctx: CallContext, channel: AriChannel, exten: string): void {
  const callId = callIdOf(ctx, channel);
  const origin = extensionOfChannel(channel);
  const internal = isInternalNumber(exten, ctx.config.routing.internalPattern, knownOperators(ctx.config));
  const ctl = internal
    ? internalControl(callId, channel, exten, origin)
    : trunkControl(ctx, callId, channel, origin);
  const call = ctx.sessions.open(ctl);
  void ctx.serial.run(callId, async () => {
    const started = await call.start({
      type: "callStarted",
      at: nowIso(),
      callId,
      direction: ctl.direction,
      clientNumber: internal ? origin : exten,
      lineNumber: ctl.lineNumber,
      originExtension: origin,
      clientChannelId: ctl.clientChannelId,
    });
    if (started === "unreachable") return handToDialplan(ctx, call, channel.id);
    await ctx.rest.subscribe(ctx.config.ari.app, `channel:${channel.id}`).catch(() => undefined);
    if (!internal) return startTrunkCall(ctx, call, channel, exten);
    markBusy(ctx, origin, callId);
    await ctx.rest.ring(channel.id).catch(() => undefined);
    await startExtensionHunt(ctx, call, exten, ctx.config.routing.outboundRingTimeoutSec, "direct");
  });
}

function internalControl(callId: string, channel: AriChannel, exten: string, origin: string): CallControl {
  return {
    callId,
    direction: "internal",
    clientChannelId: channel.id,
    clientAnswered: false,
    clientNumber: origin,
    lineNumber: exten,
    originExtension: origin,
    legs: {},
    aux: [],
    legSeq: 0,
  };
}

/** The operator's own channel is the call's answered `direct` leg; the client is dialled on the trunk. */
function trunkControl(ctx: CallContext, callId: string, channel: AriChannel, origin: string): CallControl {
  return {
    callId,
    direction: "outbound",
    clientChannelId: randomUUID(),
    clientAnswered: false,
    clientNumber: origin,
    lineNumber: outboundLine(ctx.config.routing.trunkDialString),
    originExtension: origin,
    legs: { [channel.id]: { extension: origin, purpose: "direct", state: "up" } },
    aux: [],
    legSeq: 0,
  };
}

async function startTrunkCall(ctx: CallContext, call: CallSession, channel: AriChannel, exten: string) {
  const origin = call.ctl.originExtension!;
  const clientId = call.ctl.clientChannelId!;
  const number = await runAppHook(
    ctx,
    call,
    "normalizeClientNumber",
    { raw: exten, purpose: "dial" },
    ctx.normalise(exten),
    (n) => (/^\+?[0-9*#]+$/.test(n) ? undefined : "not a dialable number"),
  );
  const at = nowIso();
  await call.record(
    { type: "legDialled", at, legId: channel.id, extension: origin, purpose: "direct" },
    { type: "legAnswered", at, legId: channel.id },
  );
  markBusy(ctx, origin, call.callId);
  call.log.info({ from: origin, to: number }, "outbound call");
  await ctx.rest.ring(channel.id).catch(() => undefined);
  const own = {
    endpoint: ctx.config.routing.trunkDialString.replace("{number}", number),
    callerId: origin,
    timeoutSec: ctx.config.routing.outboundRingTimeoutSec,
    variables: {},
  };
  const params = await originateParams(ctx, call, "trunk", { extension: origin, number }, own);
  try {
    await ctx.rest.dialOut({
      ...params,
      channelId: clientId,
      app: ctx.config.ari.app,
      appArgs: `client,${call.callId}`,
      originator: channel.id,
    });
  } catch (err) {
    const status = err instanceof AriHttpError ? err.status : 0;
    const error = (err as Error).message;
    onOriginateFailedHook(ctx, call, { purpose: "trunk", endpoint: params.endpoint, status, error });
    await clientDialFailed(ctx, call, err);
  }
}

/** ARI refused to create or dial the client's trunk leg: decoded, logged, counted; the call ends. */
export async function clientDialFailed(ctx: CallContext, call: CallSession, err: unknown): Promise<void> {
  const ariStatus = err instanceof AriHttpError ? err.status : 0;
  call.log.warn({ err: (err as Error).message }, "dialling the client on the trunk failed");
  const clientFailure = originateFailed(ctx, call, { side: "client", ariStatus }, "");
  await call.change((c) => (c.clientGone = true));
  await endCall(ctx, call, { clientResult: "unavailable", hangupBy: "system", clientFailure });
}

/** The client of an outbound call answered (Dial ANSWER, or found Up by a resync). */
export async function onClientAnswered(
  ctx: CallContext,
  call: CallSession,
  channelId: string,
): Promise<void> {
  if (call.ctl.clientAnswered) return; // the same answer reported twice
  const originLeg = Object.entries(call.ctl.legs).find(
    ([, l]) => l.purpose === "direct" && l.state === "up",
  )?.[0];
  if (call.ctl.ending || !originLeg) return hangupQuietly(ctx, channelId);
  await call.change((c) => (c.clientAnswered = true), { type: "clientAnswered", at: nowIso() });
  try {
    await ctx.rest.answer(originLeg);
    await bridgeWithClient(ctx, call, originLeg);
    await startConversation(call, originLeg);
    await ctx.reactions.bridged(ctx, call);
  } catch (err) {
    call.log.warn({ err: (err as Error).message }, "could not connect the outbound call");
    await endCall(ctx, call, { clientResult: "answered", hangupBy: "system" });
  }
}
