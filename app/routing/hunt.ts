import { randomUUID } from "node:crypto";
import type { LegPurpose } from "../../core/calls/types.ts";
import { AriHttpError } from "../ari/rest.ts";
import type { CallControl, HuntControl } from "../calls/control.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import { endCall, hangupQuietly, record, setLegFailedHook } from "../calls/engine.ts";
import { orderMembers, ringSecondsFor } from "./strategy.ts";

/**
 * Hunting: which operators are rung for a call, in what order, for how long, and what happens when
 * nobody answers (overflow group, IVR fallback to the DID's group, or a missed call).
 */

export const TRANSFER_CONTEXT = "itgrix-transfer";

export async function startGroupHunt(
  ctx: CallContext,
  ctl: CallControl,
  groupName: string,
  visited: string[] = [],
): Promise<void> {
  const group = ctx.config.routing.groups[groupName];
  if (!group) {
    ctx.logger.warn({ callId: ctl.callId, group: groupName }, "unknown group; call given up");
    return endCall(ctx, ctl, { clientResult: "noanswer", hangupBy: "system" });
  }
  const lastOffered =
    group.strategy === "roundrobin" ? await ctx.redis.hgetall(ctx.keys.roundRobin(groupName)) : {};
  const ringall = group.strategy === "ringall";
  await runHunt(ctx, ctl, {
    kind: "group",
    target: groupName,
    purpose: "group",
    ringall,
    remaining: orderMembers(
      group,
      Object.fromEntries(Object.entries(lastOffered).map(([k, v]) => [k, Number(v)])),
    ),
    deadline: Date.now() + group.groupTimeoutSec * 1000,
    ringTimeoutSec: ringall ? group.groupTimeoutSec : group.ringTimeoutSec,
    visited: [...visited, groupName],
  });
}

/** Rings one extension (IVR choice, internal call, transfer target is separate) for `ringSec`. */
export async function startExtensionHunt(
  ctx: CallContext,
  ctl: CallControl,
  extension: string,
  ringSec: number,
  purpose: LegPurpose,
  thenGroup?: string,
): Promise<void> {
  await runHunt(ctx, ctl, {
    kind: "extension",
    target: extension,
    purpose,
    ringall: true,
    remaining: [extension],
    deadline: Date.now() + ringSec * 1000,
    ringTimeoutSec: ringSec,
    visited: [],
    thenGroup,
  });
}

async function runHunt(ctx: CallContext, ctl: CallControl, hunt: HuntControl): Promise<void> {
  ctl.hunt = hunt;
  await ctx.controls.save(ctl);
  armHuntDeadline(ctx, ctl);
  await dialNext(ctx, ctl);
}

/** (Re-)arms the hunt's deadline timer; also used when a restarted app re-adopts a ringing call. */
export function armHuntDeadline(ctx: CallContext, ctl: CallControl): void {
  if (!ctl.hunt) return;
  ctx.timers.set(ctl.callId, "hunt", ctl.hunt.deadline - Date.now(), () => onDeadline(ctx, ctl));
}

function ringingLegs(ctl: CallControl): string[] {
  return Object.entries(ctl.legs)
    .filter(([, l]) => l.state === "dialling" || l.state === "ringing")
    .map(([id]) => id);
}

/** Dials the next member(s); when nobody could be dialled, the hunt is over. */
async function dialNext(ctx: CallContext, ctl: CallControl): Promise<void> {
  const hunt = ctl.hunt;
  if (!hunt) return;
  while (hunt.remaining.length > 0 && ctl.hunt === hunt && !ctl.ending) {
    const ext = hunt.remaining.shift()!;
    const secs = ringSecondsFor(hunt.ringTimeoutSec, hunt.deadline, Date.now());
    if (secs < 1) break;
    if (hunt.kind === "group" && ctx.config.routing.groups[hunt.target]?.strategy === "roundrobin") {
      await ctx.redis.hset(ctx.keys.roundRobin(hunt.target), ext, String(Date.now()));
    }
    const dialled = await dialLeg(ctx, ctl, ext, hunt.purpose, secs);
    if (dialled && !hunt.ringall) break;
  }
  await ctx.controls.save(ctl);
  if (ctl.hunt === hunt && ringingLegs(ctl).length === 0 && !ctl.ending) await huntExhausted(ctx, ctl);
}

/**
 * Originates one operator leg (StasisStart `dialed,<callId>` arrives on answer). A busy or
 * unregistered operator is not dialled and recorded as skipped; an originate that fails at once
 * is recorded as a leg that ended unregistered/failed. Returns whether the leg is ringing.
 */
export async function dialLeg(
  ctx: CallContext,
  ctl: CallControl,
  extension: string,
  purpose: LegPurpose,
  ringSec: number,
  originator = ctl.clientChannelId,
): Promise<boolean> {
  const skip = await unavailability(ctx, ctl, extension);
  if (skip) {
    await record(ctx, ctl, { type: "legSkipped", at: nowIso(), extension, purpose, result: skip });
    return false;
  }
  const legId = randomUUID();
  ctl.legs[legId] = { extension, purpose, state: "dialling" };
  ctl.legSeq++;
  await ctx.controls.save(ctl, legId);
  await record(ctx, ctl, { type: "legDialled", at: nowIso(), legId, extension, purpose });
  try {
    await ctx.rest.originate({
      endpoint: `${ctx.config.routing.operatorTech}/${extension}`,
      channelId: legId,
      app: ctx.config.ari.app,
      appArgs: `dialed,${ctl.callId}`,
      originator,
      callerId: ctl.clientNumber,
      timeoutSec: ringSec,
      variables: { TRANSFER_CONTEXT },
    });
    return true;
  } catch (err) {
    const status = err instanceof AriHttpError ? err.status : 0;
    ctx.logger.warn(
      { callId: ctl.callId, extension, status, err: (err as Error).message },
      "originate failed",
    );
    ctl.legs[legId]!.state = "ended";
    await ctx.controls.save(ctl);
    const result = status === 500 ? "unregistered" : "failed";
    await record(ctx, ctl, {
      type: "legEnded",
      at: nowIso(),
      legId,
      result,
      causeText: `originate ${status}`,
    });
    return false;
  }
}

/** Busy in another call, or a phone that is not registered: such operators are not rung. */
async function unavailability(
  ctx: CallContext,
  ctl: CallControl,
  extension: string,
): Promise<"busy" | "unregistered" | undefined> {
  const busyWith = await ctx.redis.hget(ctx.keys.busyOperators, extension);
  if (busyWith && busyWith !== ctl.callId) return "busy";
  try {
    const endpoint = await ctx.rest.getEndpoint(ctx.config.routing.operatorTech, extension);
    if (endpoint.state === "offline") return "unregistered";
  } catch (err) {
    if (err instanceof AriHttpError && err.status === 404) return "unregistered";
  }
  return undefined;
}

async function onDeadline(ctx: CallContext, ctl: CallControl): Promise<void> {
  if (!ctl.hunt || ctl.ending) return;
  for (const id of ringingLegs(ctl)) {
    ctl.legs[id]!.endResult = "noanswer";
    await hangupQuietly(ctx, id, "no_answer");
    // Its end is a fact now, before the next hunt dials anybody (so its card is hidden first);
    // the ChannelDestroyed that follows only adds the cause.
    await record(ctx, ctl, { type: "legEnded", at: nowIso(), legId: id, result: "noanswer" });
  }
  await huntExhausted(ctx, ctl);
}

/** A ringing leg ended without an answer: try the next member when nobody else is ringing. */
async function onLegFailed(ctx: CallContext, ctl: CallControl): Promise<void> {
  if (!ctl.hunt || ringingLegs(ctl).length > 0) return;
  await dialNext(ctx, ctl);
}
setLegFailedHook(onLegFailed);

async function huntExhausted(ctx: CallContext, ctl: CallControl): Promise<void> {
  const hunt = ctl.hunt;
  if (!hunt) return;
  ctl.hunt = undefined;
  ctx.timers.clear(ctl.callId, "hunt");
  await ctx.controls.save(ctl);
  if (hunt.kind === "extension") {
    if (hunt.purpose === "ivr")
      await record(ctx, ctl, { type: "ivrMissed", at: nowIso(), extension: hunt.target });
    if (hunt.thenGroup) return startGroupHunt(ctx, ctl, hunt.thenGroup);
    return endCall(ctx, ctl, { clientResult: "noanswer", hangupBy: "system" });
  }
  const overflow = ctx.config.routing.groups[hunt.target]?.overflow;
  if (overflow && !hunt.visited.includes(overflow)) return startGroupHunt(ctx, ctl, overflow, hunt.visited);
  return endCall(ctx, ctl, { clientResult: "noanswer", hangupBy: "system" });
}
