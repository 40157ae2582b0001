import type { AriChannel, AriEvent } from "../ari/types.ts";
import { hangupQuietly } from "../calls/channels.ts";
import type { CallControl } from "../calls/control.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import { endCall } from "../calls/ending.ts";
import type { CallSession } from "../calls/session.ts";
import { dialLeg } from "../routing/hunt.ts";
import { rekeyChannel } from "./rekey.ts";
import { transferAwayEvents } from "./transferAway.ts";

type BlindTransferEvent = Extract<AriEvent, { type: "BridgeBlindTransfer" }>;

/**
 * Blind transfer by the operator's phone (REFER), done by Asterisk's core: BridgeBlindTransfer, then
 * the Local `;2` half enters `Stasis(itgrix,transfer,<exten>)` (we ring the target for it) and the
 * `;1` half replaces the transferring operator in our bridge. When the target answers it is moved
 * into the call's bridge and the Local pair is hung up, so the bridge holds client + target only.
 */
export async function onBlindTransfer(
  ctx: CallContext,
  call: CallSession,
  e: BlindTransferEvent,
): Promise<void> {
  if (e.result !== "Success") return;
  const legId = e.channel.id;
  const leg = call.ctl.legs[legId];
  if (!leg || call.ctl.ending) return;
  const helper = e.replace_channel?.id;
  if (helper) call.bind(helper);
  await call.change(
    (c) => {
      c.legs[legId]!.transferredAway = true;
      if (c.talkingLegId === legId) c.talkingLegId = undefined;
      c.transferTo = { extension: e.exten, fromExtension: leg.extension, kind: "blind" };
      if (helper && !c.aux.includes(helper)) c.aux.push(helper);
    },
    ...transferAwayEvents({
      at: nowIso(),
      kind: "blind",
      legId,
      fromExtension: leg.extension,
      toExtension: e.exten,
    }),
  );
  call.log.info({ from: leg.extension, to: e.exten }, "blind transfer");
}

/** StasisStart with replace_channel: re-key the call from the replaced channel to the new one. */
export async function onSwap(call: CallSession, channel: AriChannel, replaced: AriChannel): Promise<void> {
  const { ctl: next, role } = rekeyChannel(call.ctl, replaced.id, channel.id);
  call.bind(channel.id);
  await call.change((c) => replaceControl(c, next));
  call.log.info({ from: replaced.id, to: channel.id, role }, "channel swapped in");
}

/** Makes `target` equal to `next` in place (fields `next` lacks are removed). */
function replaceControl(target: CallControl, next: CallControl): void {
  for (const key of Object.keys(target) as (keyof CallControl)[]) if (!(key in next)) delete target[key];
  Object.assign(target, next);
}

/** StasisStart `transfer,<exten>` for the Local `;2` half: ring the transfer target. */
export async function onTransferTarget(
  ctx: CallContext,
  call: CallSession,
  channel: AriChannel,
  exten: string,
): Promise<void> {
  call.bind(channel.id);
  await call.change((c) => {
    if (!c.aux.includes(channel.id)) c.aux.push(channel.id);
  });
  if (call.ctl.ending) return hangupQuietly(ctx, channel.id);
  await ctx.rest.ring(channel.id).catch(() => undefined);
  const ringSec = ctx.config.routing.outboundRingTimeoutSec;
  const ringing = await dialLeg(ctx, call, exten, "transfer", ringSec, channel.id);
  if (!ringing) await endCall(ctx, call, { clientResult: "answered", hangupBy: "system" });
}

/** The transfer target answered: it joins the client in the call's bridge; the Local pair goes. */
export async function completeTransfer(ctx: CallContext, call: CallSession, legId: string): Promise<void> {
  const bridgeId = call.ctl.bridgeId;
  if (!bridgeId) throw new Error("transfer without a bridge");
  await ctx.rest.addToBridge(bridgeId, [legId]);
  await call.change(
    (c) => {
      c.transferTo = undefined;
      c.talkingLegId = legId;
    },
    { type: "conversationStarted", at: nowIso(), legId },
  );
  for (const id of call.ctl.aux) await hangupQuietly(ctx, id);
}
