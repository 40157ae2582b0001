import type { AriEvent } from "../ari/types.ts";
import { startConversation } from "../calls/bridge.ts";
import { markBusy, releaseBusy } from "../calls/busy.ts";
import { hangupQuietly } from "../calls/channels.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import { endCall } from "../calls/ending.ts";
import type { CallSession } from "../calls/session.ts";
import { transferAwayEvents } from "./transferAway.ts";

type AttendedTransferEvent = Extract<AriEvent, { type: "BridgeAttendedTransfer" }>;

/**
 * Attended transfer by an operator's phone (REFER with Replaces), done by Asterisk's core
 * (ari-notes.md §3): operator A talks with the client in call 1 (A's leg there is the transferer's
 * first or second leg), puts it on hold and calls colleague T from the same phone, which is call 2
 * (A's channel is its client channel, T's leg its talking leg). On REFER, Asterisk links the two
 * bridges with a Local pair (StasisStart with replace_channel for each half, handled by onSwap) and
 * hangs up A's two channels.
 *
 * The app then does what the ARI-only recipe does: T's leg is moved into call 1's bridge and adopted
 * by call 1 (a new conversation of the same call, `transferred` kind attended); the Local pair is hung
 * up; call 2 ends (answered, by the operator) without hanging up T. One bridge, one call to follow.
 */
export function onAttendedTransfer(ctx: CallContext, e: AttendedTransferEvent): void {
  const log = { result: e.result, type: e.destination_type };
  if (e.result !== "Success") {
    ctx.logger.info(log, "attended transfer did not succeed; nothing to follow");
    return;
  }
  void resolveCalls(ctx, e).then(async (found) => {
    if (!found) {
      ctx.logger.warn(log, "attended transfer between channels of no known pair of calls; not followed");
      return;
    }
    const { keeperId, consultId, transfererLeg, consultChannel } = found;
    let moved: Target | undefined;
    await ctx.serial.run(consultId, async () => {
      const consult = await ctx.sessions.find(consultId);
      if (consult) moved = await releaseTarget(ctx, consult, consultChannel);
    });
    if (!moved) {
      ctx.logger.warn({ ...log, keeperId, consultId }, "attended transfer: no target leg found");
      return;
    }
    const target = moved;
    await ctx.serial.run(keeperId, async () => {
      const keeper = await ctx.sessions.find(keeperId);
      if (!keeper || keeper.ctl.ending) return hangupQuietly(ctx, target.legId);
      await adoptTarget(ctx, keeper, transfererLeg, target);
    });
    await hangupQuietly(ctx, e.transferer_first_leg.id);
    await hangupQuietly(ctx, e.transferer_second_leg.id);
  });
}

interface TransferCalls {
  /** The call that goes on (the client's): the transferer's channel is one of its operator legs. */
  keeperId: string;
  transfererLeg: string;
  /** The consultation call: the transferer's channel is its client channel. */
  consultId: string;
  consultChannel: string;
}

interface Target {
  legId: string;
  extension: string;
}

async function resolveCalls(ctx: CallContext, e: AttendedTransferEvent): Promise<TransferCalls | undefined> {
  const ids = [e.transferer_first_leg.id, e.transferer_second_leg.id];
  const callIds = await Promise.all(ids.map((id) => ctx.sessions.callOf(id)));
  if (!callIds[0] || !callIds[1] || callIds[0] === callIds[1]) return undefined;
  const calls = await Promise.all(callIds.map((id) => ctx.sessions.find(id!)));
  for (const [k, c] of [
    [0, 1],
    [1, 0],
  ] as const) {
    const keeper = calls[k];
    const consult = calls[c];
    if (keeper?.ctl.legs[ids[k]!] && consult && !consult.ctl.legs[ids[c]!]) {
      return {
        keeperId: keeper.callId,
        transfererLeg: ids[k]!,
        consultId: consult.callId,
        consultChannel: ids[c]!,
      };
    }
  }
  return undefined;
}

/**
 * Call 2 gives its talking leg (the transfer target) away and ends. Its end does not hang the leg up
 * (its state here is `ended`); call 1 indexes it to itself when it adopts it.
 */
async function releaseTarget(
  ctx: CallContext,
  consult: CallSession,
  transferer: string,
): Promise<Target | undefined> {
  const ctl = consult.ctl;
  const legId = ctl.talkingLegId ?? Object.entries(ctl.legs).find(([, l]) => l.state === "up")?.[0];
  const leg = legId ? ctl.legs[legId] : undefined;
  if (!legId || !leg || leg.state !== "up") return undefined;
  const at = nowIso();
  await consult.change(
    (c) => {
      Object.assign(c.legs[legId]!, { state: "ended", transferredAway: true });
      c.talkingLegId = undefined;
    },
    { type: "conversationEnded", at, legId, reason: "transferred" },
    { type: "legEnded", at, legId, result: "answered" },
  );
  // The target is no longer busy with this call (the client's call marks it busy when it adopts it;
  // when that call has ended meanwhile, nothing may keep naming this one).
  releaseBusy(ctx, leg.extension, consult.callId);
  consult.log.info({ legId, transferer }, "attended transfer: target leaves the consultation call");
  await endCall(ctx, consult, { clientResult: "answered", hangupBy: "operator" });
  return { legId, extension: leg.extension };
}

/** Call 1 takes the target leg into its bridge: a new conversation of the same call. */
async function adoptTarget(ctx: CallContext, keeper: CallSession, transfererLeg: string, target: Target) {
  const from = keeper.ctl.legs[transfererLeg]!;
  const at = nowIso();
  keeper.bind(target.legId);
  await keeper.change(
    (c) => {
      c.legs[transfererLeg]!.transferredAway = true;
      if (c.talkingLegId === transfererLeg) c.talkingLegId = undefined;
      c.legs[target.legId] = { extension: target.extension, purpose: "transfer", state: "up" };
      c.legSeq++;
    },
    ...transferAwayEvents({
      at,
      kind: "attended",
      legId: transfererLeg,
      fromExtension: from.extension,
      toExtension: target.extension,
    }),
    { type: "legDialled", at, legId: target.legId, extension: target.extension, purpose: "transfer" },
    { type: "legAnswered", at, legId: target.legId },
  );
  markBusy(ctx, target.extension, keeper.callId);
  try {
    if (!keeper.ctl.bridgeId) throw new Error("call has no bridge");
    await ctx.rest.addToBridge(keeper.ctl.bridgeId, [target.legId]);
  } catch (err) {
    keeper.log.warn({ err: (err as Error).message }, "attended transfer: move failed");
    return endCall(ctx, keeper, { clientResult: "answered", hangupBy: "system" });
  }
  await startConversation(keeper, target.legId);
  for (const id of keeper.ctl.aux) await hangupQuietly(ctx, id); // the Local half that linked the bridges
  keeper.log.info({ from: from.extension, to: target.extension }, "attended transfer");
}
