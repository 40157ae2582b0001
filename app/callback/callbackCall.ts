import { randomUUID } from "node:crypto";
import { claimAnswer } from "../calls/answer.ts";
import { bridgeWithClient, startConversation } from "../calls/bridge.ts";
import { hangupQuietly } from "../calls/channels.ts";
import type { CallControl } from "../calls/control.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import { endCall } from "../calls/ending.ts";
import type { CallSession } from "../calls/session.ts";
import { startGroupHunt } from "../routing/hunt.ts";
import type { CallbackRequest } from "./callbackEvent.ts";

/**
 * A callback from the CRM's form: the line's group rings first (operator legs dialled from inside
 * Stasis, as for inbound calls); the operator who answers hears the configured announcement while the
 * client is dialled through the trunk; the client's answer bridges both and starts the recording.
 * The call is `direction: "callback"`: the workers register it as TYPE 4 once an operator rings and
 * finish it for the operator who took it.
 */

/** A callback the app could not make durable (Redis away): nothing rang, the caller may retry it. */
export class CallbackNotStarted extends Error {
  override readonly name = "CallbackNotStarted";
}

/** The group a callback line rings: its DID's group, else `routing.callback.group`, else the default. */
export function callbackGroup(ctx: CallContext, line: string): string | undefined {
  const routing = ctx.config.routing;
  return routing.dids[line]?.group ?? routing.callback.group ?? routing.defaultGroup;
}

export async function startCallback(ctx: CallContext, request: CallbackRequest): Promise<string> {
  // Scoped by the server like linkedids: the resync of this app (and only this one) owns the call.
  const callId = ctx.server.callIdOf(randomUUID());
  const ctl: CallControl = {
    callId,
    direction: "callback",
    clientAnswered: false,
    clientNumber: request.phoneNumber,
    lineNumber: request.lineNumber,
    legs: {},
    aux: [],
    legSeq: 0,
  };
  const call = ctx.sessions.open(ctl);
  let durable = true;
  await ctx.serial.run(callId, async () => {
    const started = await call.start({
      type: "callStarted",
      at: nowIso(),
      callId,
      direction: "callback",
      clientNumber: request.phoneNumber,
      lineNumber: request.lineNumber,
    });
    if (started === "unreachable") {
      durable = false;
      ctx.sessions.handOff(call);
      return;
    }
    const group = callbackGroup(ctx, request.lineNumber);
    call.log.info({ to: request.phoneNumber, line: request.lineNumber, group }, "callback requested");
    if (request.text) call.log.info({ text: request.text }, "callback form text (not spoken: no TTS)");
    if (!group) {
      call.log.warn({ line: request.lineNumber }, "no group for the callback line; finished as missed");
      return endCall(ctx, call, { clientResult: "noanswer", hangupBy: "system" });
    }
    await startGroupHunt(ctx, call, group);
  });
  if (!durable) throw new CallbackNotStarted("Redis did not take the callback in time");
  return callId;
}

/** A channel of a callback answered: an operator leg (take the callback) or the client. */
export async function onCallbackAnswered(ctx: CallContext, call: CallSession, channelId: string) {
  if (call.ctl.legs[channelId]) return onOperatorAnswered(ctx, call, channelId);
  if (channelId === call.ctl.clientChannelId) return onClientAnswered(ctx, call, channelId);
}

async function onOperatorAnswered(ctx: CallContext, call: CallSession, legId: string): Promise<void> {
  if (!(await claimAnswer(ctx, call, legId))) return;
  const settings = ctx.config.routing.callback;
  if (settings.announce) {
    await ctx.rest.play(legId, settings.announce).catch((err: Error) => {
      call.log.warn({ err: err.message, media: settings.announce }, "callback announcement not played");
    });
  }
  const clientId = randomUUID();
  call.bind(clientId);
  await call.change((c) => (c.clientChannelId = clientId));
  const number = ctx.normalise(call.ctl.clientNumber);
  const operator = call.ctl.legs[legId]!.extension;
  call.log.info({ operator, to: number }, "callback taken; dialling the client");
  try {
    await ctx.rest.dialOut({
      endpoint: ctx.config.routing.trunkDialString.replace("{number}", number),
      channelId: clientId,
      app: ctx.config.ari.app,
      appArgs: `client,${call.callId}`,
      originator: legId,
      callerId: call.ctl.lineNumber || undefined,
      timeoutSec: settings.clientRingTimeoutSec,
    });
  } catch (err) {
    call.log.warn({ err: (err as Error).message }, "dialling the callback's client failed");
    await call.change((c) => (c.clientGone = true));
    await endCall(ctx, call, { clientResult: "unavailable", hangupBy: "system" });
  }
}

async function onClientAnswered(ctx: CallContext, call: CallSession, clientId: string): Promise<void> {
  if (call.ctl.clientAnswered) return; // the same answer reported twice
  const operatorLeg = Object.entries(call.ctl.legs).find(([, l]) => l.state === "up")?.[0];
  if (call.ctl.ending || !operatorLeg) return hangupQuietly(ctx, clientId);
  await call.change((c) => (c.clientAnswered = true), { type: "clientAnswered", at: nowIso() });
  try {
    await bridgeWithClient(ctx, call, operatorLeg);
    await startConversation(call, operatorLeg);
    await ctx.reactions.bridged(ctx, call);
  } catch (err) {
    call.log.warn({ err: (err as Error).message }, "could not connect the callback");
    await endCall(ctx, call, { clientResult: "answered", hangupBy: "system" });
  }
}
