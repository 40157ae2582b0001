import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { extensionOfUser, parseDirectorySnapshot } from "../../core/crm/directorySnapshot.ts";
import type { OriginateFailure } from "../../core/calls/originateFailure.ts";
import type { ClientResult } from "../../core/calls/types.ts";
import { knownOperators, outboundLine } from "../../core/config/routingRules.ts";
import { AriHttpError } from "../ari/rest.ts";
import type { CallControl } from "../calls/control.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import { endCall } from "../calls/ending.ts";
import { originateFailed, reportOriginateFailure } from "../calls/originateDiagnostics.ts";
import type { CallSession } from "../calls/session.ts";
import { EventNotTaken, type CrmEventHandler, type HandledTake } from "../crmEvents/registry.ts";
import type { BitrixEvent } from "../http/types.ts";
import { TRANSFER_CONTEXT } from "../routing/hunt.ts";
import { readClick, type Click } from "./clickData.ts";

export interface ClickToCallDeps {
  ctx: CallContext;
  /** `keys.userDirectory(portal)`: the workers' snapshot of UF_PHONE_INNER → user id. */
  directoryKey: string | undefined;
}

/**
 * ONEXTERNALCALLSTART (a user clicked a number in the CRM): the portal has registered the call
 * already. The clicking user's phone rings first (extension from the user directory, `#FROM#`
 * reversed); once it answers the client is dialled on the trunk (`clickerAnswered.ts`), then bridged
 * and recorded like any outbound call. The call model carries the portal's CALL_ID, so the workers
 * show the card, finish THAT call and never register a second one. Every click ends in a finished
 * portal call: a repeated click (same user and number within `events.repeatClickSec`) as cancelled,
 * a user without an extension as failed.
 */
export function clickToCallHandler(deps: ClickToCallDeps): CrmEventHandler {
  return { handle: (event, _source, take) => startClickToCall(deps, event, take) };
}

async function startClickToCall(deps: ClickToCallDeps, event: BitrixEvent, take: HandledTake) {
  const { ctx } = deps;
  const click = readClick(event.data);
  if ("error" in click) {
    ctx.logger.warn(
      { event: event.name, error: click.error },
      "click-to-call: malformed event; nothing rings",
    );
    void ctx.metrics?.count("events.malformed");
    return;
  }
  const number = ctx.normalise(click.phone);
  const log = ctx.logger.child({ bxCallId: click.bxCallId, userId: click.userId });
  const waitedSec = Math.round((Date.now() - take.receivedAt) / 1000);
  if (waitedSec > ctx.config.events.clickMaxWaitSec) {
    log.warn({ number, waitedSec }, "click-to-call: taken too late to ring; finished as failed");
    void ctx.metrics?.count("events.lateClick");
    const detail = `not rung: the connector could not take the click for ${waitedSec} s (Redis unavailable)`;
    const failure: OriginateFailure = { side: "operator", reason: "failed", detail };
    const extension = (await extensionOf(deps, click.userId)) ?? "";
    return endUnrung(ctx, click, number, { clientResult: "failed", failure, extension, commit: take.commit });
  }
  if (!(await firstClick(ctx, click, number))) {
    log.info({ number }, "click-to-call: the same number clicked again by the same user; ignored");
    void ctx.metrics?.count("events.repeatedClick");
    return endUnrung(ctx, click, number, { clientResult: "cancelled", commit: take.commit });
  }
  const extension = await extensionOf(deps, click.userId);
  if (extension === undefined) {
    const failure: OriginateFailure = {
      side: "operator",
      reason: "unregistered",
      detail: `user ${click.userId} has no internal number in the directory`,
    };
    return endUnrung(ctx, click, number, { clientResult: "failed", failure, commit: take.commit });
  }
  await ringClicker(ctx, click, number, extension, take.commit);
}

/**
 * SET NX with the repeat window, holding the portal's CALL_ID: the same click offered again (it could
 * not be made durable the first time) is still the first. Without Redis every click counts as the first.
 */
async function firstClick(ctx: CallContext, click: Click, number: string): Promise<boolean> {
  const ms = ctx.config.events.repeatClickSec * 1000;
  if (ms <= 0) return true;
  const key = ctx.keys.clickGuard(click.userId, number);
  const mine = async (r: Redis) =>
    (await r.set(key, click.bxCallId, "PX", ms, "NX")) === "OK" || (await r.get(key)) === click.bxCallId;
  return ctx.redis.read("click guard", mine, true);
}

async function extensionOf(deps: ClickToCallDeps, userId: number): Promise<string | undefined> {
  const { ctx, directoryKey } = deps;
  if (!directoryKey) return undefined;
  const json = await ctx.redis.read("user directory", (r) => r.get(directoryKey), null);
  const snapshot = parseDirectorySnapshot(json);
  return extensionOfUser(snapshot, userId, [...knownOperators(ctx.config)], ctx.config.numbers.userRewrite);
}

/**
 * The click's call; with the user's phone as its first channel when there is one to ring. Its id is
 * scoped by the server like linkedids: the resync of this app (and only this one) owns the call.
 */
function clickControl(ctx: CallContext, number: string, extension?: string): CallControl {
  const callId = ctx.server.callIdOf(randomUUID());
  return {
    callId,
    direction: "outbound",
    clientAnswered: false,
    clientNumber: number,
    lineNumber: outboundLine(ctx.config.routing.trunkDialString),
    ...(extension !== undefined ? { originExtension: extension } : {}),
    legs: extension !== undefined ? { [callId]: { extension, purpose: "direct", state: "dialling" } } : {},
    aux: [],
    legSeq: 1,
    clickToCall: { number, clientDialled: false },
  };
}

/**
 * Opens the click's call and makes it durable (callStarted with the portal's CALL_ID, then the event
 * marked taken), then runs `then` in the call's serial lane. When Redis does not take the call it is
 * handed off and `EventNotTaken` tells the intake to offer the event again.
 */
async function startClickCall(
  ctx: CallContext,
  click: Click,
  ctl: CallControl,
  commit: () => Promise<void>,
  then: (call: CallSession, at: string) => Promise<void>,
): Promise<void> {
  const call = ctx.sessions.open(ctl);
  let durable = true;
  await ctx.serial.run(ctl.callId, async () => {
    const at = nowIso();
    const started = await call.start({
      type: "callStarted",
      at,
      callId: ctl.callId,
      direction: "outbound",
      clientNumber: ctl.clientNumber,
      lineNumber: ctl.lineNumber,
      ...(ctl.originExtension !== undefined ? { originExtension: ctl.originExtension } : {}),
      portalCall: { callId: click.bxCallId, userId: click.userId },
    });
    if (started === "unreachable") {
      ctx.sessions.handOff(call);
      durable = false;
      return;
    }
    await commit(); // the call is in Redis: the resync of a restarted app owns it, not a second take
    await then(call, at);
  });
  if (!durable) throw new EventNotTaken("Redis did not take the click in time; nothing rang");
}

/**
 * The user's phone is the call's first channel: its id is the call id (Asterisk's linkedid), and the
 * client's leg, created with it as originator, inherits it.
 */
async function ringClicker(
  ctx: CallContext,
  click: Click,
  number: string,
  extension: string,
  commit: () => Promise<void>,
) {
  await startClickCall(ctx, click, clickControl(ctx, number, extension), commit, async (call, at) => {
    const callId = call.callId;
    await call.record({ type: "legDialled", at, legId: callId, extension, purpose: "direct" });
    call.log.info({ bxCallId: click.bxCallId, extension, to: number }, "click-to-call: ringing the user");
    const offline = await endpointOffline(ctx, extension);
    if (offline)
      return clickerFailed(ctx, call, { side: "operator", reason: "unregistered", detail: offline });
    try {
      await ctx.rest.dialOut({
        endpoint: `${ctx.config.routing.operatorTech}/${extension}`,
        channelId: callId,
        app: ctx.config.ari.app,
        appArgs: `dialed,${callId}`,
        callerId: number,
        timeoutSec: ctx.config.events.clickRingTimeoutSec,
        variables: { TRANSFER_CONTEXT },
      });
    } catch (err) {
      const ariStatus = err instanceof AriHttpError ? err.status : 0;
      const failure = originateFailed(ctx, call, { side: "operator", ariStatus }, extension);
      await endClickerLeg(ctx, call, failure, `dial ${ariStatus}`);
    }
  });
}

/** `endpoint offline` / `endpoint unknown` when ARI says the phone cannot be rung; else undefined. */
async function endpointOffline(ctx: CallContext, extension: string): Promise<string | undefined> {
  try {
    const endpoint = await ctx.rest.getEndpoint(ctx.config.routing.operatorTech, extension);
    return endpoint.state === "offline" ? "endpoint offline" : undefined;
  } catch (err) {
    return err instanceof AriHttpError && err.status === 404 ? "endpoint unknown" : undefined;
  }
}

async function clickerFailed(ctx: CallContext, call: CallSession, failure: OriginateFailure) {
  reportOriginateFailure(ctx, call, failure, call.ctl.originExtension ?? "");
  await endClickerLeg(ctx, call, failure, failure.detail);
}

async function endClickerLeg(ctx: CallContext, call: CallSession, failure: OriginateFailure, why: string) {
  const legId = call.callId;
  await call.change((c) => (c.legs[legId]!.state = "ended"), {
    type: "legEnded",
    at: nowIso(),
    legId,
    result: failure.reason === "unregistered" ? "unregistered" : "failed",
    causeText: why,
    failure,
  });
  await endCall(ctx, call, { clientResult: "failed", hangupBy: "system" });
}

interface UnrungEnd {
  clientResult: ClientResult;
  failure?: OriginateFailure;
  /** The user's phone, when known (FAILED_REASON names it). */
  extension?: string;
  commit: () => Promise<void>;
}

/** A click that rings nobody still ends its portal call: a call with no channel, ended at once. */
async function endUnrung(ctx: CallContext, click: Click, number: string, end: UnrungEnd): Promise<void> {
  await startClickCall(ctx, click, clickControl(ctx, number), end.commit, async (call, at) => {
    if (end.failure) {
      const legId = `none:${call.callId}`;
      const extension = end.extension ?? "";
      const result = end.failure.reason === "unregistered" ? "unregistered" : "failed";
      reportOriginateFailure(ctx, call, end.failure, extension || `user ${click.userId}`);
      await call.record(
        { type: "legDialled", at, legId, extension, purpose: "direct" },
        { type: "legEnded", at, legId, result, failure: end.failure },
      );
    }
    await endCall(ctx, call, { clientResult: end.clientResult, hangupBy: "system" });
  });
}
