import { armHuntDeadline } from "../routing/hunt.ts";
import { liveChannels, type CallControl } from "./control.ts";
import { nowIso, type CallContext } from "./context.ts";
import { endCall, maybeFinish, onChannelGone } from "./engine.ts";

export interface ResyncResult {
  checked: number;
  finished: number;
  adopted: number;
}

/**
 * After a (re)connect or an app restart: compares the calls the app believes active with what
 * Asterisk has (`GET /channels`, `GET /bridges`). Channels that vanished while nobody listened are
 * treated as destroyed (so a call that ended meanwhile is finished and still reaches the CRM); live
 * ones are re-subscribed and the app keeps controlling the call.
 */
export async function resync(ctx: CallContext): Promise<ResyncResult> {
  const [channels, bridges] = await Promise.all([ctx.rest.listChannels(), ctx.rest.listBridges()]);
  const live = new Set(channels.map((c) => c.id));
  const liveBridges = new Set(bridges.map((b) => b.id));
  const callIds = await ctx.runtime.activeCallIds();
  const result: ResyncResult = { checked: callIds.length, finished: 0, adopted: 0 };
  for (const callId of callIds) {
    await ctx.serial.run(callId, async () => {
      const ctl = await ctx.controls.load(callId);
      if (!ctl) return finishOrphan(ctx, callId);
      const outcome = await resyncCall(ctx, ctl, live, liveBridges);
      if (outcome === "finished") result.finished++;
      else result.adopted++;
    });
  }
  await releaseStaleBusy(ctx, new Set(await ctx.runtime.activeCallIds()));
  ctx.logger.info(result, "resync done");
  return result;
}

async function resyncCall(
  ctx: CallContext,
  ctl: CallControl,
  live: Set<string>,
  liveBridges: Set<string>,
): Promise<"finished" | "adopted"> {
  if (ctl.bridgeId && !liveBridges.has(ctl.bridgeId) && ctl.talkingLegId) {
    ctx.logger.warn({ callId: ctl.callId, bridgeId: ctl.bridgeId }, "bridge vanished");
  }
  for (const id of [...liveChannels(ctl), ...ctl.aux]) {
    if (!live.has(id)) {
      ctx.logger.info({ callId: ctl.callId, channelId: id }, "channel ended while the app was away");
      await onChannelGone(ctx, ctl, id);
    }
  }
  if (ctl.ended) return "finished";
  for (const id of [...liveChannels(ctl), ...ctl.aux]) {
    await ctx.rest.subscribe(ctx.config.ari.app, `channel:${id}`).catch(() => undefined);
  }
  if (ctl.bridgeId && liveBridges.has(ctl.bridgeId)) {
    await ctx.rest.subscribe(ctx.config.ari.app, `bridge:${ctl.bridgeId}`).catch(() => undefined);
  }
  if (ctl.ending) {
    await endCallAgain(ctx, ctl);
  } else if (ctl.hunt) {
    armHuntDeadline(ctx, ctl);
  }
  return ctl.ended ? "finished" : "adopted";
}

/** A call that was being torn down when the app stopped: hang up what is left and finish it. */
async function endCallAgain(ctx: CallContext, ctl: CallControl): Promise<void> {
  const ending = ctl.ending!;
  ctl.ending = undefined;
  await endCall(ctx, ctl, ending);
  await maybeFinish(ctx, ctl);
}

/** A call state without control data (the app died right after callStarted): close it in the model. */
async function finishOrphan(ctx: CallContext, callId: string): Promise<void> {
  const state = await ctx.runtime.get(callId);
  if (!state || state.phase === "ended") return;
  const at = nowIso();
  for (const leg of state.legs) {
    if (!leg.endedAt) await ctx.runtime.record(callId, { type: "legEnded", at, legId: leg.legId });
  }
  await ctx.runtime.record(callId, { type: "callEnded", at, hangupBy: "system" });
}

/** Busy marks of calls that are no longer active (a crash between answer and end) are dropped. */
async function releaseStaleBusy(ctx: CallContext, active: Set<string>): Promise<void> {
  const busy = await ctx.redis.hgetall(ctx.keys.busyOperators);
  const stale = Object.entries(busy)
    .filter(([, callId]) => !active.has(callId))
    .map(([ext]) => ext);
  if (stale.length) await ctx.redis.hdel(ctx.keys.busyOperators, ...stale);
}
