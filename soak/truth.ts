import type { SippEvent } from "./sippLog.ts";

/**
 * What really happened to each call, from the phones' side: the legs each operator phone logged
 * (rang, answered, transferred, hung up) and what the caller saw, and from that what the CRM must
 * show — with the product's rules in their plain form (last CRM user who talked, else the last CRM
 * user rung, else the default user; 200 when anybody talked, else 304; DURATION = talk time).
 * Pure, so it is unit-tested without servers.
 */

export interface PhoneLeg {
  extension: string;
  rangAt: number;
  answeredAt?: number;
  /** REFER sent: the conversation ended here as far as the call is concerned. */
  transferredAt?: number;
  endedAt?: number;
  result: "answered" | "cancelled" | "refused" | "open";
  /** Joined the call without ringing for it (the target of an attended transfer was rung by the
   *  operator's consultation call): no card is due for it. */
  joinedWithoutRing?: boolean;
}

export interface CallerSide {
  invitedAt?: number;
  /** First 180/183. */
  ringingAt?: number;
  /** 200 to the INVITE (an operator, or the IVR). */
  answeredAt?: number;
  /** BYE sent or received, CANCEL sent, or a final error received. */
  endedAt?: number;
  end: "callerBye" | "pbxBye" | "cancelled" | "refused" | "unknown";
  statusCode?: number;
}

export interface Expected {
  answered: boolean;
  statusCode: "200" | "304";
  userIds: number[];
  durationSec: { min: number; max: number };
}

/** Legs of one phone, per caller number (a new RING starts a new leg). */
export function phoneLegs(extension: string, events: readonly SippEvent[]): Map<string, PhoneLeg[]> {
  const byNumber = new Map<string, PhoneLeg[]>();
  for (const e of events) {
    const legs = byNumber.get(e.number) ?? [];
    byNumber.set(e.number, legs);
    if (e.event === "RING") {
      legs.push({ extension, rangAt: e.at, result: "open" });
      continue;
    }
    const leg = legs[legs.length - 1];
    if (!leg) continue;
    switch (e.event) {
      case "ANSWER":
        leg.answeredAt = e.at;
        leg.result = "answered";
        break;
      case "CANCELLED":
        leg.result = "cancelled";
        leg.endedAt = e.at;
        break;
      case "REFUSED":
        leg.result = "refused";
        leg.endedAt = e.at;
        break;
      case "REFER":
        leg.transferredAt = e.at;
        break;
      case "BYE_IN":
      case "BYE_OUT":
        leg.endedAt = e.at;
        break;
    }
  }
  return byNumber;
}

export function callerSide(events: readonly SippEvent[]): CallerSide {
  const side: CallerSide = { end: "unknown" };
  for (const e of events) {
    if (e.event === "INVITE") side.invitedAt = e.at;
    else if (e.event === "RINGING") side.ringingAt ??= e.at;
    else if (e.event === "ANSWERED") side.answeredAt = e.at;
    else if (e.event === "BYE_OUT") Object.assign(side, { endedAt: e.at, end: "callerBye" });
    else if (e.event === "BYE_IN") Object.assign(side, { endedAt: e.at, end: "pbxBye" });
    else if (e.event === "CANCEL") Object.assign(side, { endedAt: e.at, end: "cancelled" });
    else if (e.event === "STATUS") {
      Object.assign(side, { endedAt: e.at, end: "refused", statusCode: Number(e.args[0]) });
    }
  }
  return side;
}

interface Conversation {
  extension: string;
  startedAt: number;
  endedAt: number;
  transferred: boolean;
}

/** Answered legs as conversations; a very short one beside another is a lost answer race, not a talk. */
export function conversations(legs: readonly PhoneLeg[], callerEndedAt?: number): Conversation[] {
  const all = legs
    .filter((l) => l.answeredAt !== undefined)
    .map((l) => ({
      extension: l.extension,
      startedAt: l.answeredAt!,
      endedAt: l.transferredAt ?? l.endedAt ?? callerEndedAt ?? l.answeredAt!,
      transferred: l.transferredAt !== undefined,
    }))
    .sort((a, b) => a.startedAt - b.startedAt);
  if (all.length < 2) return all;
  return all.filter((c) => c.transferred || c.endedAt - c.startedAt >= 1000);
}

export interface ExpectOptions {
  userIdOf: (extension: string) => number | undefined;
  defaultUserId: number;
  /** Extra seconds allowed above the phones' talk time (attended transfers: the consultation). */
  extraDurationSec?: number;
}

/** Legs rung within this of the last CRM ring are equally "last" (a ring-all rings them at once). */
const SAME_RING_MS = 1000;
/** Seconds the CRM's DURATION may differ from the phones' talk time (rounding, signalling). */
const DURATION_SLACK_SEC = 2;

export function expectedOutcome(legs: readonly PhoneLeg[], caller: CallerSide, o: ExpectOptions): Expected {
  const talks = conversations(legs, caller.endedAt);
  const talkSec = talks.reduce((sum, c) => sum + Math.max(0, c.endedAt - c.startedAt), 0) / 1000;
  const durationSec = {
    min: Math.max(0, Math.floor(talkSec - DURATION_SLACK_SEC)),
    max: Math.ceil(talkSec + DURATION_SLACK_SEC + (o.extraDurationSec ?? 0)),
  };
  const answered = talks.length > 0;
  return {
    answered,
    statusCode: answered ? "200" : "304",
    userIds: expectedUsers(talks, legs, o),
    durationSec,
  };
}

function expectedUsers(talks: Conversation[], legs: readonly PhoneLeg[], o: ExpectOptions): number[] {
  const talkedUsers = talks.flatMap((c) => {
    const id = o.userIdOf(c.extension);
    return id === undefined ? [] : [id];
  });
  if (talkedUsers.length > 0) return [talkedUsers[talkedUsers.length - 1]!];
  const rung = legs
    .map((l) => ({ at: l.rangAt, id: o.userIdOf(l.extension) }))
    .filter((r): r is { at: number; id: number } => r.id !== undefined);
  if (rung.length === 0) return [o.defaultUserId];
  const last = Math.max(...rung.map((r) => r.at));
  return [...new Set(rung.filter((r) => r.at >= last - SAME_RING_MS).map((r) => r.id))];
}

/** First ring of each CRM user in a call: the moment its card should pop. */
export function firstRings(legs: readonly PhoneLeg[], userIdOf: (ext: string) => number | undefined) {
  const first = new Map<number, number>();
  for (const l of legs) {
    if (l.joinedWithoutRing) continue;
    const id = userIdOf(l.extension);
    if (id === undefined) continue;
    first.set(id, Math.min(first.get(id) ?? Infinity, l.rangAt));
  }
  return first;
}
