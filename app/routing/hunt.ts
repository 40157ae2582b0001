import { randomUUID } from "node:crypto";
import type { LegPurpose } from "../../core/calls/types.ts";
import { AriHttpError } from "../ari/rest.ts";
import { liveBusyWith } from "../calls/busy.ts";
import { hangupQuietly } from "../calls/channels.ts";
import type { CallControl, HuntControl } from "../calls/control.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import { endCall } from "../calls/ending.ts";
import { originateFailed } from "../calls/originateDiagnostics.ts";
import type { CallSession } from "../calls/session.ts";
import { onOriginateFailedHook, originateParams, runAppHook } from "../hooks/appHooks.ts";
import { orderMembers, ringSecondsFor } from "./strategy.ts";

/**
 * Hunting: which operators are rung for a call, in what order, for how long, and what happens when
 * nobody answers (overflow group, IVR fallback to the DID's group, or a missed call).
 */

export const TRANSFER_CONTEXT = "itgrix-transfer";

export async function startGroupHunt(
  ctx: CallContext,
  call: CallSession,
  groupName: string,
  visited: string[] = [],
): Promise<void> {
  const group = ctx.config.routing.groups[groupName];
  if (!group) {
    call.log.warn({ group: groupName }, "unknown group; call given up");
    return endCall(ctx, call, { clientResult: "noanswer", hangupBy: "system" });
  }
  const lastOffered = group.strategy === "roundrobin" ? await lastOfferedOf(ctx, groupName) : {};
  const ringall = group.strategy === "ringall";
  await runHunt(ctx, call, {
    kind: "group",
    target: groupName,
    purpose: "group",
    ringall,
    remaining: await ringOrder(ctx, call, "group", groupName, "group", orderMembers(group, lastOffered)),
    deadline: Date.now() + group.groupTimeoutSec * 1000,
    ringTimeoutSec: ringall ? group.groupTimeoutSec : group.ringTimeoutSec,
    visited: [...visited, groupName],
  });
}

/** beforeRing: customizations may reorder or narrow whom the hunt rings (known operators only). */
function ringOrder(
  ctx: CallContext,
  call: CallSession,
  kind: "group" | "extension",
  target: string,
  purpose: LegPurpose,
  own: string[],
): Promise<string[]> {
  const operators = ctx.config.routing.operators;
  return runAppHook(ctx, call, "beforeRing", { kind, target, purpose }, own, (list) => {
    const unknown = list.filter((ext) => !operators.includes(ext) && !own.includes(ext));
    return unknown.length > 0 ? `not operators: ${unknown.join(", ")}` : undefined;
  });
}

/** Round-robin bookkeeping (without Redis the configured order applies). */
async function lastOfferedOf(ctx: CallContext, group: string): Promise<Record<string, number>> {
  const raw = await ctx.redis.read("round robin", (r) => r.hgetall(ctx.keys.roundRobin(group)), {});
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
}

/** Rings one extension (IVR choice, internal call; a transfer target is separate) for `ringSec`. */
export async function startExtensionHunt(
  ctx: CallContext,
  call: CallSession,
  extension: string,
  ringSec: number,
  purpose: LegPurpose,
  thenGroup?: string,
): Promise<void> {
  await runHunt(ctx, call, {
    kind: "extension",
    target: extension,
    purpose,
    ringall: true,
    remaining: await ringOrder(ctx, call, "extension", extension, purpose, [extension]),
    deadline: Date.now() + ringSec * 1000,
    ringTimeoutSec: ringSec,
    visited: [],
    thenGroup,
  });
}

async function runHunt(ctx: CallContext, call: CallSession, hunt: HuntControl): Promise<void> {
  await call.change((c) => (c.hunt = hunt));
  armHuntDeadline(ctx, call);
  await dialNext(ctx, call);
}

/** (Re-)arms the hunt's deadline timer; also used when a resync re-adopts a ringing call. */
export function armHuntDeadline(ctx: CallContext, call: CallSession): void {
  const hunt = call.ctl.hunt;
  if (!hunt) return;
  ctx.timers.set(call.callId, "hunt", hunt.deadline - Date.now(), () => onDeadline(ctx, call));
}

function ringingLegs(ctl: CallControl): string[] {
  return Object.entries(ctl.legs)
    .filter(([, l]) => l.state === "dialling" || l.state === "ringing")
    .map(([id]) => id);
}

/** Dials the next member(s) (all of them for ring-all); when nobody could be dialled, the hunt is over. */
async function dialNext(ctx: CallContext, call: CallSession): Promise<void> {
  const hunt = call.ctl.hunt;
  if (!hunt) return;
  const active = () => call.ctl.hunt === hunt && !call.ctl.ending;
  while (hunt.remaining.length > 0 && active()) {
    const secs = ringSecondsFor(hunt.ringTimeoutSec, hunt.deadline, Date.now());
    if (secs < 1) break;
    const members = hunt.ringall ? [...hunt.remaining] : hunt.remaining.slice(0, 1);
    await call.change((c) => c.hunt?.remaining.splice(0, members.length));
    let dialled = 0;
    for (const ext of members) if (active() && (await offer(ctx, call, hunt, ext, secs))) dialled++;
    if (dialled > 0) break;
  }
  if (active() && ringingLegs(call.ctl).length === 0) await huntExhausted(ctx, call);
}

async function offer(ctx: CallContext, call: CallSession, hunt: HuntControl, ext: string, secs: number) {
  if (hunt.kind === "group" && ctx.config.routing.groups[hunt.target]?.strategy === "roundrobin") {
    ctx.redis.write("round robin", (r) => r.hset(ctx.keys.roundRobin(hunt.target), ext, String(Date.now())));
  }
  return dialLeg(ctx, call, ext, hunt.purpose, secs);
}

/**
 * Dials one operator leg (it answers inside Stasis: Dial ANSWER). A busy operator is
 * not dialled and recorded as skipped; a dial that fails at once is recorded as a leg that ended
 * unregistered/failed. Returns whether the leg is ringing.
 */
export async function dialLeg(
  ctx: CallContext,
  call: CallSession,
  extension: string,
  purpose: LegPurpose,
  ringSec: number,
  originator = call.ctl.clientChannelId,
): Promise<boolean> {
  const skip = await unavailability(ctx, call, extension);
  if (skip) {
    await call.record({ type: "legSkipped", at: nowIso(), extension, purpose, result: skip });
    return false;
  }
  const legId = randomUUID();
  call.bind(legId);
  await call.change(
    (c) => {
      c.legs[legId] = { extension, purpose, state: "dialling" };
      c.legSeq++;
    },
    { type: "legDialled", at: nowIso(), legId, extension, purpose },
  );
  return dialOperator(ctx, call, { legId, extension, ringSec, originator });
}

interface OperatorDial {
  legId: string;
  extension: string;
  ringSec: number;
  originator?: string;
}

async function dialOperator(ctx: CallContext, call: CallSession, d: OperatorDial): Promise<boolean> {
  const own = {
    endpoint: `${ctx.config.routing.operatorTech}/${d.extension}`,
    callerId: call.ctl.clientNumber,
    timeoutSec: d.ringSec,
    variables: { TRANSFER_CONTEXT },
  };
  const params = await originateParams(ctx, call, "operator", { extension: d.extension, number: null }, own);
  try {
    await ctx.rest.dialOut({
      ...params,
      channelId: d.legId,
      app: ctx.config.ari.app,
      appArgs: `dialed,${call.callId}`,
      originator: d.originator,
      // A transfer target is dialled for the transfer's Local half, whose caller id is not the
      // client's (the soak's targets were shown "Anonymous"): the phone shows the client's number.
      dialCaller: call.ctl.clientChannelId ?? d.originator,
    });
    return true;
  } catch (err) {
    const status = err instanceof AriHttpError ? err.status : 0;
    const error = (err as Error).message;
    onOriginateFailedHook(ctx, call, { purpose: "operator", endpoint: params.endpoint, status, error });
    call.log.warn(
      { extension: d.extension, status, err: (err as Error).message },
      "dialling the operator failed",
    );
    const failure = originateFailed(ctx, call, { side: "operator", ariStatus: status }, d.extension);
    await call.change((c) => (c.legs[d.legId]!.state = "ended"), {
      type: "legEnded",
      at: nowIso(),
      legId: d.legId,
      result: failure.reason === "unregistered" ? "unregistered" : "failed",
      causeText: `dial ${status}`,
      failure,
    });
    return false;
  }
}

/**
 * Busy in another call: such operators are not rung. A phone that is not registered is not asked
 * about first (a GET per member made ring-all members ring seconds apart under load and doubled the
 * ARI requests): its `create` fails at once (500 "Allocation failed") and the leg ends `unregistered`.
 */
async function unavailability(
  ctx: CallContext,
  call: CallSession,
  extension: string,
): Promise<"busy" | undefined> {
  const busy = await liveBusyWith(ctx, extension);
  if (busy && busy !== call.callId) return "busy";
  return undefined;
}

async function onDeadline(ctx: CallContext, call: CallSession): Promise<void> {
  if (!call.ctl.hunt || call.ctl.ending) return;
  for (const id of ringingLegs(call.ctl)) {
    // Its end is a fact now, before the next hunt dials anybody (so its card is hidden first);
    // the ChannelDestroyed that follows only adds the cause.
    await call.change((c) => (c.legs[id]!.endResult = "noanswer"), {
      type: "legEnded",
      at: nowIso(),
      legId: id,
      result: "noanswer",
    });
    await hangupQuietly(ctx, id, "no_answer");
  }
  await huntExhausted(ctx, call);
}

/** A ringing leg ended without an answer: try the next member when nobody else is ringing. */
export async function continueHunt(ctx: CallContext, call: CallSession): Promise<void> {
  if (!call.ctl.hunt || ringingLegs(call.ctl).length > 0) return;
  await dialNext(ctx, call);
}

async function huntExhausted(ctx: CallContext, call: CallSession): Promise<void> {
  const hunt = call.ctl.hunt;
  if (!hunt) return;
  ctx.timers.clear(call.callId, "hunt");
  const missed = hunt.kind === "extension" && hunt.purpose === "ivr";
  const events = missed ? [{ type: "ivrMissed" as const, at: nowIso(), extension: hunt.target }] : [];
  await call.change((c) => (c.hunt = undefined), ...events);
  if (hunt.kind === "extension") {
    if (hunt.thenGroup) return startGroupHunt(ctx, call, hunt.thenGroup);
    return endCall(ctx, call, { clientResult: "noanswer", hangupBy: "system" });
  }
  const overflow = ctx.config.routing.groups[hunt.target]?.overflow;
  if (overflow && !hunt.visited.includes(overflow)) return startGroupHunt(ctx, call, overflow, hunt.visited);
  return endCall(ctx, call, { clientResult: "noanswer", hangupBy: "system" });
}
