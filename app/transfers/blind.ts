import type { AriChannel, AriEvent } from "../ari/types.ts";
import type { CallControl } from "../calls/control.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import { endCall, hangupQuietly, startConversation } from "../calls/engine.ts";
import { dialLeg } from "../routing/hunt.ts";
import { rekeyChannel } from "./rekey.ts";
import { recordTransferAway } from "./transferAway.ts";

type BlindTransferEvent = Extract<AriEvent, { type: "BridgeBlindTransfer" }>;

/**
 * Blind transfer by the operator's phone (REFER), done by Asterisk's core: BridgeBlindTransfer, then
 * the Local `;2` half enters `Stasis(itgrix,transfer,<exten>)` (we ring the target for it) and the
 * `;1` half replaces the transferring operator in our bridge. When the target answers it is moved
 * into the call's bridge and the Local pair is hung up, so the bridge holds client + target only.
 */
export async function onBlindTransfer(
  ctx: CallContext,
  ctl: CallControl,
  e: BlindTransferEvent,
): Promise<void> {
  if (e.result !== "Success") return;
  const leg = ctl.legs[e.channel.id];
  if (!leg || ctl.ending) return;
  leg.transferredAway = true;
  if (ctl.talkingLegId === e.channel.id) ctl.talkingLegId = undefined;
  ctl.transferTo = { extension: e.exten, fromExtension: leg.extension, kind: "blind" };
  if (e.replace_channel && !ctl.aux.includes(e.replace_channel.id)) ctl.aux.push(e.replace_channel.id);
  await ctx.controls.save(ctl, ...(e.replace_channel ? [e.replace_channel.id] : []));
  await recordTransferAway(ctx, ctl, {
    at: nowIso(),
    kind: "blind",
    legId: e.channel.id,
    fromExtension: leg.extension,
    toExtension: e.exten,
  });
  ctx.logger.info({ callId: ctl.callId, from: leg.extension, to: e.exten }, "blind transfer");
}

/** StasisStart with replace_channel: re-key the call from the replaced channel to the new one. */
export async function onSwap(
  ctx: CallContext,
  ctl: CallControl,
  channel: AriChannel,
  replaced: AriChannel,
): Promise<void> {
  const { ctl: next, role } = rekeyChannel(ctl, replaced.id, channel.id);
  Object.assign(ctl, next);
  await ctx.controls.save(ctl, channel.id);
  ctx.logger.info({ callId: ctl.callId, from: replaced.id, to: channel.id, role }, "channel swapped in");
}

/** StasisStart `transfer,<exten>` for the Local `;2` half: ring the transfer target. */
export async function onTransferTarget(
  ctx: CallContext,
  ctl: CallControl,
  channel: AriChannel,
  exten: string,
): Promise<void> {
  if (!ctl.aux.includes(channel.id)) ctl.aux.push(channel.id);
  await ctx.controls.save(ctl, channel.id);
  if (ctl.ending) return hangupQuietly(ctx, channel.id);
  await ctx.rest.ring(channel.id).catch(() => undefined);
  const ringing = await dialLeg(
    ctx,
    ctl,
    exten,
    "transfer",
    ctx.config.routing.outboundRingTimeoutSec,
    channel.id,
  );
  if (!ringing) await endCall(ctx, ctl, { clientResult: "answered", hangupBy: "system" });
}

/** The transfer target answered: it joins the client in the call's bridge; the Local pair goes. */
export async function completeTransfer(ctx: CallContext, ctl: CallControl, legId: string): Promise<void> {
  if (!ctl.bridgeId) throw new Error("transfer without a bridge");
  await ctx.rest.addToBridge(ctl.bridgeId, [legId]);
  ctl.transferTo = undefined;
  await startConversation(ctx, ctl, legId);
  for (const id of ctl.aux) await hangupQuietly(ctx, id);
}
