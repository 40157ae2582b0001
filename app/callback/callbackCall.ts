import { randomUUID } from "node:crypto";
import { claimAnswer } from "../calls/answer.ts";
import type { CallControl } from "../calls/control.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import { endCall } from "../calls/ending.ts";
import type { CallSession } from "../calls/session.ts";
import { onClientAnswered } from "../clientLeg/clientAnswered.ts";
import { dialClient } from "../clientLeg/dialClient.ts";
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

/** `onDurable` runs once the call is in Redis (the resync of a restarted app owns it from then on). */
export async function startCallback(
  ctx: CallContext,
  request: CallbackRequest,
  onDurable: () => void = () => undefined,
): Promise<string> {
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
    onDurable();
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
  const operator = call.ctl.legs[legId]!.extension;
  call.log.info({ operator, to: call.ctl.clientNumber }, "callback taken; dialling the client");
  await dialClient(ctx, call, {
    raw: call.ctl.clientNumber,
    originator: legId,
    extension: operator,
    callerId: call.ctl.lineNumber,
    timeoutSec: settings.clientRingTimeoutSec,
  });
}
