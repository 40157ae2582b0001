import type { AriEvent } from "../ari/types.ts";
import type { CallControl } from "../calls/control.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import { endCall, hangupQuietly, markBusy, record, startConversation } from "../calls/engine.ts";
import { recordTransferAway } from "./transferAway.ts";

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
    let moved: { legId: string; extension: string } | undefined;
    await ctx.serial.run(consultId, async () => {
      const consult = await ctx.controls.load(consultId);
      if (consult && !consult.ended) moved = await releaseTarget(ctx, consult, consultChannel);
    });
    if (!moved) {
      ctx.logger.warn({ ...log, keeperId, consultId }, "attended transfer: no target leg found");
      return;
    }
    const target = moved;
    await ctx.serial.run(keeperId, async () => {
      const keeper = await ctx.controls.load(keeperId);
      if (!keeper || keeper.ended || keeper.ending) return hangupQuietly(ctx, target.legId);
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

async function resolveCalls(ctx: CallContext, e: AttendedTransferEvent): Promise<TransferCalls | undefined> {
  const ids = [e.transferer_first_leg.id, e.transferer_second_leg.id];
  const calls = await Promise.all(ids.map((id) => ctx.controls.callOf(id)));
  if (!calls[0] || !calls[1] || calls[0] === calls[1]) return undefined;
  const ctls = await Promise.all(calls.map((id) => ctx.controls.load(id!)));
  for (const [k, c] of [
    [0, 1],
    [1, 0],
  ] as const) {
    const keeper = ctls[k];
    const consult = ctls[c];
    if (keeper?.legs[ids[k]!] && consult && !consult.legs[ids[c]!]) {
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
 * Call 2 gives its talking leg (the transfer target) away and ends. The leg is no longer indexed to
 * call 2 once call 1 adopts it; call 2's end does not hang it up (its state here is `ended`).
 */
async function releaseTarget(
  ctx: CallContext,
  consult: CallControl,
  transfererChannel: string,
): Promise<{ legId: string; extension: string } | undefined> {
  const legId = consult.talkingLegId ?? Object.entries(consult.legs).find(([, l]) => l.state === "up")?.[0];
  const leg = legId ? consult.legs[legId] : undefined;
  if (!legId || !leg || leg.state !== "up") return undefined;
  leg.state = "ended";
  leg.transferredAway = true;
  consult.talkingLegId = undefined;
  await ctx.controls.save(consult);
  const at = nowIso();
  await record(ctx, consult, { type: "conversationEnded", at, legId, reason: "transferred" });
  await record(ctx, consult, { type: "legEnded", at, legId, result: "answered" });
  ctx.logger.info(
    { callId: consult.callId, legId, transferer: transfererChannel },
    "attended transfer: target leaves the consultation call",
  );
  await endCall(ctx, consult, { clientResult: "answered", hangupBy: "operator" });
  return { legId, extension: leg.extension };
}

/** Call 1 takes the target leg into its bridge: a new conversation of the same call. */
async function adoptTarget(
  ctx: CallContext,
  keeper: CallControl,
  transfererLeg: string,
  target: { legId: string; extension: string },
): Promise<void> {
  const from = keeper.legs[transfererLeg]!;
  from.transferredAway = true;
  if (keeper.talkingLegId === transfererLeg) keeper.talkingLegId = undefined;
  keeper.legs[target.legId] = { extension: target.extension, purpose: "transfer", state: "up" };
  keeper.legSeq++;
  await ctx.controls.save(keeper, target.legId);
  const at = nowIso();
  await recordTransferAway(ctx, keeper, {
    at,
    kind: "attended",
    legId: transfererLeg,
    fromExtension: from.extension,
    toExtension: target.extension,
  });
  await record(ctx, keeper, {
    type: "legDialled",
    at,
    legId: target.legId,
    extension: target.extension,
    purpose: "transfer",
  });
  await record(ctx, keeper, { type: "legAnswered", at, legId: target.legId });
  await markBusy(ctx, target.extension, keeper.callId);
  try {
    if (!keeper.bridgeId) throw new Error("call has no bridge");
    await ctx.rest.addToBridge(keeper.bridgeId, [target.legId]);
  } catch (err) {
    ctx.logger.warn({ callId: keeper.callId, err: (err as Error).message }, "attended transfer: move failed");
    return endCall(ctx, keeper, { clientResult: "answered", hangupBy: "system" });
  }
  await startConversation(ctx, keeper, target.legId);
  for (const id of keeper.aux) await hangupQuietly(ctx, id); // the Local half that linked the bridges
  ctx.logger.info({ callId: keeper.callId, from: from.extension, to: target.extension }, "attended transfer");
}
