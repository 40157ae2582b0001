import type { AriChannel } from "../ari/types.ts";
import { legRinging } from "../calls/answer.ts";
import { hangupQuietly } from "../calls/channels.ts";
import { liveChannels } from "../calls/control.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import { endCall, maybeFinish, onChannelGone } from "../calls/ending.ts";
import type { CallSession } from "../calls/session.ts";
import { resumeIvr } from "../ivr/ivr.ts";
import { armHuntDeadline } from "../routing/hunt.ts";
import { dispatchAriEvent, onAnswered } from "./dispatcher.ts";

/** The reason of a channel that ended while nobody listened: Asterisk keeps no cause for it. */
export const GONE_UNSEEN = "ended while the app was away; cause unknown";

export interface ResyncResult {
  checked: number;
  finished: number;
  adopted: number;
}

/**
 * After every (re)connect and at start: compares the calls the app follows (in memory, and the active
 * ones in Redis from an earlier process) with what Asterisk has (`GET /channels`, `GET /bridges`),
 * because ARI does not replay the events it sent while nobody listened. Channels that vanished are
 * treated as destroyed at `lostAt` (when the app lost sight of Asterisk), so a call that ended
 * meanwhile is finished and reaches the CRM; a leg answered meanwhile is connected; a caller who was in
 * the IVR goes on; timers of hunts are armed again.
 */
export interface ResyncOptions {
  /** Calls in Redis this resync must not touch (observe mode's, another server's). */
  leaveAlone?: (callId: string) => boolean;
}

export async function resync(
  ctx: CallContext,
  lostAt?: number,
  options: ResyncOptions = {},
): Promise<ResyncResult> {
  const [channels, bridges] = await Promise.all([ctx.rest.listChannels(), ctx.rest.listBridges()]);
  const live = new Map(channels.map((c) => [c.id, c]));
  const liveBridges = new Set(bridges.map((b) => b.id));
  const leaveAlone = options.leaveAlone ?? (() => false);
  // Another server's calls (one Redis, several Asterisks) and observed calls are not this resync's.
  const stored = (await ctx.writer.activeCallIds()).filter((id) => ctx.server.owns(id) && !leaveAlone(id));
  const callIds = [...new Set([...ctx.sessions.list().map((s) => s.callId), ...stored])];
  const at = lostAt === undefined ? undefined : new Date(lostAt).toISOString();
  const result: ResyncResult = { checked: callIds.length, finished: 0, adopted: 0 };
  for (const callId of callIds) {
    await ctx.serial.run(callId, async () => {
      const call = ctx.sessions.get(callId) ?? (await adopt(ctx, callId));
      if (!call) return finishOrphan(ctx, callId);
      if ((await resyncCall(ctx, call, { live, liveBridges, at })) === "finished") result.finished++;
      else result.adopted++;
    });
  }
  const active = [...(await ctx.writer.activeCallIds()), ...ctx.sessions.list().map((s) => s.callId)];
  await releaseStaleBusy(ctx, new Set(active));
  await adoptStrangers(ctx, channels);
  ctx.logger.info(result, "resync done");
  return result;
}

/** A call of an earlier process: its control record, and its state so outbox versions are exact. */
async function adopt(ctx: CallContext, callId: string): Promise<CallSession | undefined> {
  const call = await ctx.sessions.find(callId);
  const state = await ctx.writer.get(callId);
  if (state) ctx.writer.remember(state);
  return call;
}

interface Seen {
  live: Map<string, AriChannel>;
  liveBridges: Set<string>;
  at?: string;
}

async function resyncCall(ctx: CallContext, call: CallSession, seen: Seen): Promise<"finished" | "adopted"> {
  const ctl = call.ctl;
  if (ctl.bridgeId && !seen.liveBridges.has(ctl.bridgeId) && ctl.talkingLegId) {
    call.log.warn({ bridgeId: ctl.bridgeId }, "bridge vanished");
  }
  for (const id of [...liveChannels(ctl), ...ctl.aux]) {
    if (seen.live.has(id)) continue;
    call.log.info({ channelId: id }, "channel ended while the app was away");
    await onChannelGone(ctx, call, id, undefined, GONE_UNSEEN, seen.at ?? nowIso());
  }
  if (ctl.ended) return "finished";
  await catchUp(ctx, call, seen.live);
  for (const id of [...liveChannels(ctl), ...ctl.aux]) {
    await ctx.rest.subscribe(ctx.config.ari.app, `channel:${id}`).catch(() => undefined);
  }
  if (ctl.bridgeId && seen.liveBridges.has(ctl.bridgeId)) {
    await ctx.rest.subscribe(ctx.config.ari.app, `bridge:${ctl.bridgeId}`).catch(() => undefined);
  }
  if (ctl.ending) await endCallAgain(ctx, call);
  else if (ctl.hunt) armHuntDeadline(ctx, call);
  else if (ctl.ivr) await resumeIvr(ctx, call);
  return ctl.ended ? "finished" : "adopted";
}

/** What happened to the live channels meanwhile: legs that rang or answered (they answer in Stasis). */
async function catchUp(ctx: CallContext, call: CallSession, live: Map<string, AriChannel>): Promise<void> {
  for (const id of liveChannels(call.ctl)) {
    const state = live.get(id)?.state;
    const leg = call.ctl.legs[id];
    if (state === "Ringing" && leg?.state === "dialling") await legRinging(call, id);
    const waiting = leg ? leg.state === "dialling" || leg.state === "ringing" : !call.ctl.clientAnswered;
    if (state === "Up" && waiting && !call.ctl.ending) {
      call.log.info({ channelId: id }, "answered while the app was away; connecting it");
      await onAnswered(ctx, call, id);
    }
  }
}

/**
 * Channels waiting in our Stasis application that no call knows: their StasisStart went out while the
 * app did not listen (a websocket that went silent before anyone noticed). They are handled now as if
 * it had just come, so the caller is routed instead of waiting in silence.
 */
async function adoptStrangers(ctx: CallContext, channels: AriChannel[]): Promise<void> {
  for (const channel of channels) {
    const [app, ...args] = (channel.dialplan?.app_data ?? "").split(",");
    if (channel.dialplan?.app_name !== "Stasis" || app !== ctx.config.ari.app) continue;
    if (await ctx.sessions.callOf(channel.id)) continue;
    const still = await ctx.rest.getChannel(channel.id).catch(() => undefined);
    if (!still) continue;
    ctx.logger.warn(
      { channelId: channel.id, args },
      "channel in the app that no call knows; handling its StasisStart now",
    );
    dispatchAriEvent(ctx, { type: "StasisStart", args, channel });
  }
}

/** A call that was being torn down when the app lost Asterisk: hang up what is left and finish it. */
async function endCallAgain(ctx: CallContext, call: CallSession): Promise<void> {
  const ending = call.ctl.ending!;
  for (const id of [...liveChannels(call.ctl), ...call.ctl.aux]) await hangupQuietly(ctx, id);
  await call.change((c) => (c.ending = undefined));
  await endCall(ctx, call, ending);
  await maybeFinish(ctx, call);
}

/** A call state without control data (the app died right after callStarted): close it in the model. */
async function finishOrphan(ctx: CallContext, callId: string): Promise<void> {
  const state = await ctx.writer.get(callId);
  if (!state || state.phase === "ended") return;
  const at = nowIso();
  for (const leg of state.legs) {
    if (!leg.endedAt) await ctx.writer.record(callId, { type: "legEnded", at, legId: leg.legId });
  }
  await ctx.writer.record(callId, { type: "callEnded", at, hangupBy: "system" });
}

/** Busy marks of calls that are no longer active (a crash between answer and end) are dropped. */
async function releaseStaleBusy(ctx: CallContext, active: Set<string>): Promise<void> {
  const busy = await ctx.redis.redis.hgetall(ctx.keys.busyOperators);
  const stale = Object.entries(busy)
    .filter(([, callId]) => !active.has(callId))
    .map(([ext]) => ext);
  if (stale.length) await ctx.redis.redis.hdel(ctx.keys.busyOperators, ...stale);
}
