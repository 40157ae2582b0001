import { randomUUID } from "node:crypto";
import type { AriChannel } from "../ari/types.ts";
import type { CallControl } from "../calls/control.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import {
  bridgeWithClient,
  endCall,
  hangupQuietly,
  markBusy,
  record,
  startConversation,
} from "../calls/engine.ts";
import { isInternalNumber, knownOperators, outboundLine } from "../../core/config/routingRules.ts";
import { startRecording } from "../recording/recorder.ts";
import { startExtensionHunt } from "../routing/hunt.ts";
import { callIdOf } from "../routing/inbound.ts";

/** `PJSIP/101-0000002a` → `101` (the endpoint name is the extension). */
export function extensionOfChannel(channel: Pick<AriChannel, "name" | "caller">): string {
  const m = /^[A-Za-z0-9_]+\/(.+)-[0-9a-f]+$/.exec(channel.name);
  return m?.[1] ?? channel.caller.number;
}

export { isInternalNumber, outboundLine } from "../../core/config/routingRules.ts";

/** `Stasis(itgrix,outbound,<exten>)` from an operator phone: an internal or an outbound call. */
export function startOutbound(ctx: CallContext, channel: AriChannel, exten: string): void {
  const callId = callIdOf(channel);
  ctx.controls.bindSync(channel.id, callId);
  void ctx.serial.run(callId, async () => {
    const origin = extensionOfChannel(channel);
    await ctx.rest.subscribe(ctx.config.ari.app, `channel:${channel.id}`).catch(() => undefined);
    const base = { callId, clientAnswered: false, legs: {}, aux: [], legSeq: 0, originExtension: origin };
    if (isInternalNumber(exten, ctx.config.routing.internalPattern, knownOperators(ctx.config))) {
      const ctl: CallControl = {
        ...base,
        direction: "internal",
        clientChannelId: channel.id,
        clientNumber: origin,
        lineNumber: exten,
      };
      await ctx.controls.save(ctl, channel.id);
      await record(ctx, ctl, {
        type: "callStarted",
        at: nowIso(),
        callId,
        direction: "internal",
        clientNumber: origin,
        lineNumber: exten,
        originExtension: origin,
        clientChannelId: channel.id,
      });
      await markBusy(ctx, origin, callId);
      await ctx.rest.ring(channel.id).catch(() => undefined);
      return startExtensionHunt(ctx, ctl, exten, ctx.config.routing.outboundRingTimeoutSec, "direct");
    }
    await startTrunkCall(ctx, channel, exten, origin, base);
  });
}

async function startTrunkCall(
  ctx: CallContext,
  channel: AriChannel,
  exten: string,
  origin: string,
  base: Pick<CallControl, "callId" | "clientAnswered" | "legs" | "aux" | "legSeq" | "originExtension">,
): Promise<void> {
  const { callId } = base;
  const number = ctx.normalise(exten);
  const clientId = randomUUID();
  const lineNumber = outboundLine(ctx.config.routing.trunkDialString);
  const ctl: CallControl = {
    ...base,
    direction: "outbound",
    clientChannelId: clientId,
    clientNumber: origin,
    lineNumber,
  };
  ctl.legs[channel.id] = { extension: origin, purpose: "direct", state: "up" };
  await ctx.controls.save(ctl, channel.id, clientId);
  const at = nowIso();
  await record(ctx, ctl, {
    type: "callStarted",
    at,
    callId,
    direction: "outbound",
    clientNumber: exten,
    lineNumber,
    originExtension: origin,
    clientChannelId: clientId,
  });
  await record(ctx, ctl, { type: "legDialled", at, legId: channel.id, extension: origin, purpose: "direct" });
  await record(ctx, ctl, { type: "legAnswered", at, legId: channel.id });
  await markBusy(ctx, origin, callId);
  ctx.logger.info({ callId, from: origin, to: number }, "outbound call");
  await ctx.rest.ring(channel.id).catch(() => undefined);
  try {
    await ctx.rest.originate({
      endpoint: ctx.config.routing.trunkDialString.replace("{number}", number),
      channelId: clientId,
      app: ctx.config.ari.app,
      appArgs: `client,${callId}`,
      originator: channel.id,
      callerId: origin,
      timeoutSec: ctx.config.routing.outboundRingTimeoutSec,
    });
  } catch (err) {
    ctx.logger.warn({ callId, err: (err as Error).message }, "trunk originate failed");
    ctl.clientGone = true;
    await endCall(ctx, ctl, { clientResult: "unavailable", hangupBy: "system" });
  }
}

/** StasisStart `client,<callId>`: the client answered an outbound call. */
export async function onClientAnswered(ctx: CallContext, ctl: CallControl, channelId: string): Promise<void> {
  const originLeg = Object.entries(ctl.legs).find(([, l]) => l.purpose === "direct" && l.state === "up")?.[0];
  if (ctl.ending || !originLeg) return hangupQuietly(ctx, channelId);
  ctl.clientAnswered = true;
  await ctx.controls.save(ctl);
  await record(ctx, ctl, { type: "clientAnswered", at: nowIso() });
  try {
    await ctx.rest.answer(originLeg);
    await bridgeWithClient(ctx, ctl, originLeg);
    await startConversation(ctx, ctl, originLeg);
    await startRecording(ctx, ctl);
  } catch (err) {
    ctx.logger.warn(
      { callId: ctl.callId, err: (err as Error).message },
      "could not connect the outbound call",
    );
    await endCall(ctx, ctl, { clientResult: "answered", hangupBy: "system" });
  }
}
