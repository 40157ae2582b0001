import { randomUUID } from "node:crypto";
import { markBusy } from "../calls/busy.ts";
import { hangupQuietly } from "../calls/channels.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import { endCall } from "../calls/ending.ts";
import type { CallSession } from "../calls/session.ts";
import { dialClient } from "../clientLeg/dialClient.ts";

/** The clicking user's phone of a click-to-call: the call's `direct` leg. */
export function isClickerLeg(call: CallSession, channelId: string): boolean {
  return call.ctl.clickToCall !== undefined && call.ctl.legs[channelId]?.purpose === "direct";
}

/**
 * The user answered their phone (Dial ANSWER, or found Up by a resync after an app restart): they
 * hear ringing while the client is dialled on the trunk (`clientLeg/dialClient.ts`); the client's answer
 * is the outbound call's (`clientLeg/`: bridge, conversation, recording).
 */
export async function onClickerAnswered(ctx: CallContext, call: CallSession, legId: string): Promise<void> {
  const ctl = call.ctl;
  const leg = ctl.legs[legId];
  if (!leg || !ctl.clickToCall || ctl.clickToCall.clientDialled || leg.state === "ended") return;
  if (ctl.ending) return hangupQuietly(ctx, legId);
  const clientId = randomUUID();
  call.bind(clientId);
  await call.change(
    (c) => {
      c.legs[legId]!.state = "up";
      c.clickToCall!.clientDialled = true;
      c.clientChannelId = clientId;
    },
    { type: "legAnswered", at: nowIso(), legId },
  );
  markBusy(ctx, leg.extension, call.callId);
  const number = ctl.clickToCall.number;
  call.log.info({ from: leg.extension, to: number }, "click-to-call: the user answered; dialling the client");
  await ctx.rest.ring(legId).catch(() => undefined);
  await dialClient(ctx, call, {
    raw: number,
    rewritten: number, // numbers.clientRewrite ran at the click: the CRM and the trunk see one number
    originator: legId,
    extension: leg.extension,
    callerId: leg.extension,
    timeoutSec: ctx.config.routing.outboundRingTimeoutSec,
  });
}

/** The user's phone failed or was not answered: nothing else rings, the call ends. */
export async function onClickerFailed(ctx: CallContext, call: CallSession): Promise<void> {
  await endCall(ctx, call, { clientResult: "failed", hangupBy: "system" });
}
