import { randomUUID } from "node:crypto";
import type { AriChannel } from "../ari/types.ts";
import { markBusy } from "../calls/busy.ts";
import type { CallControl } from "../calls/control.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import type { CallSession } from "../calls/session.ts";
import { isInternalNumber, knownOperators, outboundLine } from "../../core/config/routingRules.ts";
import { handToDialplan } from "../routing/handoff.ts";
import { startExtensionHunt } from "../routing/hunt.ts";
import { callIdOf } from "../routing/inbound.ts";
import { dialClient } from "../clientLeg/dialClient.ts";

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
  const at = nowIso();
  await call.record(
    { type: "legDialled", at, legId: channel.id, extension: origin, purpose: "direct" },
    { type: "legAnswered", at, legId: channel.id },
  );
  markBusy(ctx, origin, call.callId);
  call.log.info({ from: origin, to: exten }, "outbound call");
  await ctx.rest.ring(channel.id).catch(() => undefined);
  await dialClient(ctx, call, {
    raw: exten,
    originator: channel.id,
    extension: origin,
    callerId: origin,
    timeoutSec: ctx.config.routing.outboundRingTimeoutSec,
  });
}
