import type { InboundRoute } from "../../core/hooks/api.ts";
import type { AriChannel } from "../ari/types.ts";
import type { CallSession } from "../calls/session.ts";
import { runAppHook } from "../hooks/appHooks.ts";
import type { CallControl } from "../calls/control.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import { endCall } from "../calls/ending.ts";
import { startIvr } from "../ivr/ivr.ts";
import { handToDialplan } from "./handoff.ts";
import { startExtensionHunt, startGroupHunt } from "./hunt.ts";
import { huntManagerFirst } from "./managerRouting.ts";

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
    const route = await inboundRoute(ctx, call, did, channel.caller.number);
    if (route.kind === "ivr") return startIvr(ctx, call, route.group);
    if (route.kind === "hangup") return endCall(ctx, call, { clientResult: "noanswer", hangupBy: "system" });
    await ctx.rest.ring(channel.id).catch(() => undefined);
    if (route.kind === "group") {
      const managerFirst = ctx.config.routing.dids[did]?.managerFirst;
      if (managerFirst) return huntManagerFirst(ctx, call, route.group, managerFirst);
      return startGroupHunt(ctx, call, route.group);
    }
    await startExtensionHunt(ctx, call, route.extension, route.ringSec, "direct", route.thenGroup);
  });
}

/** Where the call goes: the DID's configuration, then the routeInbound customizations. */
async function inboundRoute(
  ctx: CallContext,
  call: CallSession,
  did: string,
  callerNumber: string,
): Promise<InboundRoute> {
  const routing = ctx.config.routing;
  const line = routing.dids[did];
  const group = line?.group ?? routing.defaultGroup;
  const own: InboundRoute = line?.ivr
    ? { kind: "ivr", group: line.group }
    : group
      ? { kind: "group", group }
      : { kind: "hangup", reason: "no group for the DID and no routing.defaultGroup" };
  return runAppHook(ctx, call, "routeInbound", { did, callerNumber }, own, (route) => {
    if (route.kind === "hangup") return undefined;
    if (route.kind === "ivr" && !line?.ivr) return `DID ${did} has no IVR`;
    if (route.kind === "extension") {
      if (!routing.operators.includes(route.extension))
        return `extension ${route.extension} is not an operator`;
      if (route.thenGroup !== undefined && !routing.groups[route.thenGroup])
        return `unknown group ${route.thenGroup}`;
      return undefined;
    }
    return routing.groups[route.group] ? undefined : `unknown group ${route.group}`;
  });
}
