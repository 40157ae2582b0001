import type { SippEvent } from "./sippLog.ts";

/**
 * What really happened to each call: the legs each operator phone logged (rang, answered,
 * transferred, hung up), what the caller saw, and when Asterisk had the caller in a bridge (the
 * observer's clock, soak/ariObserver.ts); from that, what the CRM must show — with the product's
 * rules in their plain form (last CRM user who talked, else the last CRM user rung, else the
 * default user; 200 when anybody talked, else 304; DURATION = time the client talked with
 * operators). Pure, so it is unit-tested without servers.
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
}

/** When the client could talk: its channel was in a bridge (Asterisk's clock), until it hung up. */
export interface TalkWindow {
  from: number;
  to: number;
}

/** Two phones answering this close together may have won the race in either order. */
const RIVAL_MS = 150;

/**
 * The operator legs that really talked with the client, in order: answered legs, except those that
 * answered while another one was already on the call (they lost an answer race and were hung up),
 * each cut to the client's talk window (a phone that answered before the app bridged it talked to
 * nobody until then). A second set is returned when the first answer race was too close to call.
 */
export function conversationSets(legs: readonly PhoneLeg[], window?: TalkWindow): Conversation[][] {
  const answered = legs
    .filter((l) => l.answeredAt !== undefined)
    .sort((a, b) => a.answeredAt! - b.answeredAt!);
  const orders = [answered];
  const rival = answered.findIndex(
    (l, i) => i > 0 && l.answeredAt! - answered[i - 1]!.answeredAt! < RIVAL_MS,
  );
  if (rival > 0) {
    const swapped = [...answered];
    [swapped[rival - 1], swapped[rival]] = [swapped[rival]!, swapped[rival - 1]!];
    orders.push(swapped);
  }
  return orders.map((order) => talks(order, window));
}

function talks(order: readonly PhoneLeg[], window?: TalkWindow): Conversation[] {
  if (!window) return [];
  const kept: (Conversation & { leg: PhoneLeg })[] = [];
  const onCall = (l: PhoneLeg, at: number) => at < (l.transferredAt ?? l.endedAt ?? Infinity);
  for (const leg of order) {
    const startedAt = Math.max(leg.answeredAt!, window.from);
    const endedAt = Math.min(leg.transferredAt ?? leg.endedAt ?? window.to, window.to);
    // Never with the client (hung up before the bridge, or after the client left): no talk, no block.
    if (endedAt <= startedAt) continue;
    if (kept.some((k) => onCall(k.leg, leg.answeredAt!))) continue;
    kept.push({ extension: leg.extension, startedAt, endedAt, leg });
  }
  return kept.map(({ extension, startedAt, endedAt }) => ({ extension, startedAt, endedAt }));
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

/**
 * What the CRM must show, from the legs and the client's talk window (undefined: never bridged).
 * When an answer race was too close to call, either outcome is accepted.
 */
export function expectedOutcome(
  legs: readonly PhoneLeg[],
  window: TalkWindow | undefined,
  o: ExpectOptions,
): Expected {
  const sets = conversationSets(legs, window);
  const talkSecs = sets.map((t) => t.reduce((sum, c) => sum + (c.endedAt - c.startedAt), 0) / 1000);
  const answered = sets.some((t) => t.length > 0);
  return {
    answered,
    statusCode: answered ? "200" : "304",
    userIds: [...new Set(sets.flatMap((t) => expectedUsers(t, legs, o)))],
    durationSec: {
      min: Math.max(0, Math.floor(Math.min(...talkSecs) - DURATION_SLACK_SEC)),
      max: Math.ceil(Math.max(...talkSecs) + DURATION_SLACK_SEC + (o.extraDurationSec ?? 0)),
    },
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
