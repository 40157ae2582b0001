import { legResultFromCause } from "../../core/calls/hangupCauses.ts";
import type { CallEvent, ClientResult, LegResult } from "../../core/calls/types.ts";
import type { AriChannel, AriEvent } from "../ari/types.ts";

/**
 * Observe mode, the pure part: ARI events of channels that are NOT in Stasis (a call routed by the
 * PBX's own dialplan: `Dial()`, `Queue()`, ring groups) → the same CallEvents the Stasis app records,
 * so workers register, show cards and finish such calls exactly like the app's own. No I/O, no clock:
 * every fact is dated by its ARI event. app/observe/observer.ts feeds it and writes the facts.
 *
 * The model: the call's first channel (its id is the linkedid) is the client; every other real
 * channel with the same linkedid (PJSIP, SIP, IAX2, DAHDI…; never a Local half, recorder or snoop) is
 * an operator leg, whoever dialled it (Dial, a queue member, a Local ring-group member's far half).
 * A leg that answers while nobody talks starts the conversation; whoever hangs up first (a hangup
 * request: the caller's or the operator's BYE) ends it; the call ends once the client and every leg
 * are gone. A client destroyed without a hangup request was hung up by the dialplan (a queue or dial
 * timeout): `hangupBy: "system"`.
 */

export interface ObserveRules {
  /** Our Stasis application: a call whose client enters it is the app's own, not observed. */
  app: string;
  /** Dialplan contexts: a call whose first channel runs in one of them is followed. */
  contexts: readonly string[];
  /** Endpoint names (`PJSIP/<trunk>-…`): a call whose first channel comes from one of them is followed. */
  trunks: readonly string[];
}

export type LegLife = "dialling" | "ringing" | "up" | "ended";

export interface ObservedLeg {
  extension: string;
  state: LegLife;
  /** The Dial's final status, when it told one before the channel went (a queue's member gets cause 0). */
  dialResult?: LegResult;
}

/** What observe mode remembers of one call (kept in Redis, so a restarted app goes on with it). */
export interface ObservedCall {
  callId: string;
  linkedid: string;
  clientChannelId: string;
  clientNumber: string;
  /** The extension the client's channel ran when it was first seen in the observed context (the DID). */
  lineNumber: string;
  startedAt: string;
  /** callStarted is recorded; until then the call may still turn out to be Stasis-routed. */
  started: boolean;
  clientUp: boolean;
  clientGone: boolean;
  legs: Record<string, ObservedLeg>;
  talkingLegId?: string;
  talked: boolean;
  hangupBy?: "client" | "operator" | "system";
  clientResult?: ClientResult;
  ended: boolean;
}

export interface Observation {
  call: ObservedCall;
  facts: CallEvent[];
  /** The call entered our Stasis application before anything was recorded: not observed. */
  dropped?: boolean;
}

const NOT_A_PHONE = new Set([
  "Local",
  "Recorder",
  "Announcer",
  "Snoop",
  "CBAnn",
  "CBRec",
  "Message",
  "UnicastRTP",
  "AudioSocket",
  "WebSocket",
  "Bridge",
]);

/** A Dial's final status → how the leg ended (CANCEL: the caller left, or another member answered). */
const DIAL_RESULTS: Partial<Record<string, LegResult>> = {
  NOANSWER: "noanswer",
  BUSY: "busy",
  CHANUNAVAIL: "unregistered",
  CONGESTION: "failed",
  CANCEL: "cancelled",
};

export function linkedidOf(channel: AriChannel): string | undefined {
  return channel.channelvars?.["CHANNEL(linkedid)"] || undefined;
}

/** `PJSIP/105-0000001a` → tech `PJSIP`, endpoint `105`. */
export function endpointOf(channel: Pick<AriChannel, "name">): { tech: string; endpoint: string } {
  const slash = channel.name.indexOf("/");
  const dash = channel.name.lastIndexOf("-");
  const tech = channel.name.slice(0, Math.max(slash, 0));
  const endpoint = channel.name.slice(slash + 1, dash > slash ? dash : undefined);
  return { tech, endpoint };
}

function isPhone(channel: AriChannel): boolean {
  return !NOT_A_PHONE.has(endpointOf(channel).tech);
}

/** Whether this channel is the first channel of a call observe mode follows. */
export function startsObservedCall(channel: AriChannel, rules: ObserveRules): boolean {
  const linkedid = linkedidOf(channel) ?? channel.id;
  if (linkedid !== channel.id || !isPhone(channel)) return false;
  if (channel.dialplan && rules.contexts.includes(channel.dialplan.context)) return true;
  return rules.trunks.includes(endpointOf(channel).endpoint);
}

/** `at`: when the call was first seen; its start is the client channel's creation when Asterisk gives it. */
export function newObservedCall(channel: AriChannel, callId: string, at: string): ObservedCall {
  const created = Date.parse((channel.creationtime ?? "").replace(/([+-]\d\d)(\d\d)$/, "$1:$2"));
  return {
    callId,
    linkedid: channel.id,
    clientChannelId: channel.id,
    clientNumber: channel.caller.number,
    lineNumber: channel.dialplan?.exten ?? "",
    startedAt: Number.isNaN(created) ? at : new Date(created).toISOString(),
    started: false,
    clientUp: false,
    clientGone: false,
    legs: {},
    talked: false,
    ended: false,
  };
}

/** Folds one ARI event into the observed call (never mutating the given one); `at` dates its facts. */
export function observeEvent(
  current: ObservedCall,
  event: AriEvent,
  rules: ObserveRules,
  at: string,
): Observation {
  const t = new Translation(current, at);
  if (t.call.ended) return t.result();
  switch (event.type) {
    case "StasisStart":
      if (event.channel.id === t.call.clientChannelId && !t.call.started) return t.drop();
      break;
    case "ChannelDialplan":
      if (enteredOurApp(t.call, event.channel, event.dialplan_app, event.dialplan_app_data, rules.app))
        return t.drop();
      break;
    case "ChannelCreated":
      t.seen(event.channel);
      break;
    case "Dial":
      t.seen(event.peer);
      if (event.dialstatus === "RINGING" || event.dialstatus === "PROGRESS") t.ringing(event.peer.id);
      if (event.dialstatus === "ANSWER") t.answered(event.peer.id);
      t.dialEnded(event.peer.id, event.dialstatus);
      break;
    case "ChannelStateChange":
      t.seen(event.channel);
      t.state(event.channel);
      break;
    case "ChannelHangupRequest":
      // A soft request is Asterisk's own teardown (Hangup(), a bridge ending); a BYE is not soft.
      if (!event.soft) t.hangupRequested(event.channel.id);
      break;
    case "ChannelDestroyed":
      t.gone(event.channel.id, event.cause, event.cause_txt);
      break;
    default:
      break;
  }
  return t.result();
}

/** A channel found missing by a resync: destroyed at `at`, cause unknown. */
export function observeGone(current: ObservedCall, channelId: string, at: string): Observation {
  const t = new Translation(current, at);
  if (!t.call.ended) t.gone(channelId, undefined, undefined);
  return t.result();
}

/** Every channel of the call the model still waits for. */
export function liveObservedChannels(call: ObservedCall): string[] {
  const legs = Object.entries(call.legs).filter(([, l]) => l.state !== "ended");
  return [...(call.clientGone ? [] : [call.clientChannelId]), ...legs.map(([id]) => id)];
}

function enteredOurApp(
  call: ObservedCall,
  channel: AriChannel,
  app: string,
  data: string,
  ourApp: string,
): boolean {
  if (call.started || channel.id !== call.clientChannelId || app.toLowerCase() !== "stasis") return false;
  return data.split(",")[0]?.trim() === ourApp;
}

class Translation {
  readonly call: ObservedCall;
  private readonly facts: CallEvent[] = [];

  constructor(
    current: ObservedCall,
    private readonly at: string,
  ) {
    this.call = structuredClone(current);
  }

  drop(): Observation {
    return { call: this.call, facts: [], dropped: true };
  }

  result(): Observation {
    if (this.facts.length && !this.call.started) {
      this.call.started = true;
      this.facts.unshift({
        type: "callStarted",
        at: this.call.startedAt,
        callId: this.call.callId,
        direction: "inbound",
        clientNumber: this.call.clientNumber,
        lineNumber: this.call.lineNumber,
        clientChannelId: this.call.clientChannelId,
      });
    }
    return { call: this.call, facts: this.facts };
  }

  /** A channel of the call: a new one that is a phone becomes a leg. */
  seen(channel: AriChannel): void {
    const c = this.call;
    if (channel.id === c.clientChannelId || c.legs[channel.id] || !isPhone(channel)) return;
    if (linkedidOf(channel) !== c.linkedid || c.clientGone) return;
    const extension = endpointOf(channel).endpoint;
    c.legs[channel.id] = { extension, state: "dialling" };
    this.facts.push({ type: "legDialled", at: this.at, legId: channel.id, extension, purpose: "group" });
  }

  state(channel: AriChannel): void {
    if (channel.id === this.call.clientChannelId) {
      if (channel.state !== "Up" || this.call.clientUp) return;
      this.call.clientUp = true;
      this.facts.push({ type: "clientAnswered", at: this.at });
      return;
    }
    if (channel.state === "Ringing") this.ringing(channel.id);
    if (channel.state === "Up") this.answered(channel.id);
  }

  ringing(legId: string): void {
    const leg = this.call.legs[legId];
    if (leg?.state !== "dialling") return;
    leg.state = "ringing";
    this.facts.push({ type: "legRinging", at: this.at, legId });
  }

  answered(legId: string): void {
    const c = this.call;
    const leg = c.legs[legId];
    if (!leg || leg.state === "up" || leg.state === "ended") return;
    leg.state = "up";
    this.facts.push({ type: "legAnswered", at: this.at, legId });
    if (c.talkingLegId !== undefined || c.clientGone || c.hangupBy !== undefined) return;
    c.talkingLegId = legId;
    c.talked = true;
    this.facts.push({ type: "conversationStarted", at: this.at, legId });
  }

  dialEnded(legId: string, dialstatus: string): void {
    const leg = this.call.legs[legId];
    const result = DIAL_RESULTS[dialstatus];
    if (leg && result && leg.state !== "up" && leg.state !== "ended") leg.dialResult ??= result;
  }

  /** A BYE: who ended the call first. */
  hangupRequested(channelId: string): void {
    const c = this.call;
    if (channelId === c.clientChannelId) {
      if (c.hangupBy === undefined) {
        c.hangupBy = "client";
        if (!c.talked) c.clientResult = "cancelled";
      }
      this.endConversation();
    } else if (channelId === c.talkingLegId) {
      c.hangupBy ??= "operator";
      this.endConversation();
    }
  }

  gone(channelId: string, cause: number | undefined, causeText: string | undefined): void {
    const c = this.call;
    if (channelId === c.clientChannelId) {
      if (c.clientGone) return;
      c.clientGone = true;
      if (c.hangupBy === undefined) {
        c.hangupBy = "system"; // the dialplan hung up: Dial/Queue gave up, or its Hangup()
        if (!c.talked) c.clientResult = "noanswer";
      }
      this.endConversation();
    } else {
      const leg = c.legs[channelId];
      if (!leg || leg.state === "ended") return;
      if (channelId === c.talkingLegId) {
        c.hangupBy ??= "operator";
        this.endConversation();
      }
      const result = leg.state === "up" ? "answered" : (leg.dialResult ?? legResultFromCause(cause));
      leg.state = "ended";
      this.facts.push({
        type: "legEnded",
        at: this.at,
        legId: channelId,
        result,
        ...(cause === undefined ? {} : { cause }),
        ...(causeText === undefined ? {} : { causeText }),
      });
    }
    this.maybeEnd();
  }

  private endConversation(): void {
    const legId = this.call.talkingLegId;
    if (legId === undefined) return;
    this.call.talkingLegId = undefined;
    this.facts.push({ type: "conversationEnded", at: this.at, legId, reason: "hangup" });
  }

  private maybeEnd(): void {
    const c = this.call;
    if (!c.clientGone || liveObservedChannels(c).length > 0) return;
    c.ended = true;
    const clientResult: ClientResult = c.talked ? "answered" : (c.clientResult ?? "noanswer");
    this.facts.push({ type: "callEnded", at: this.at, clientResult, hangupBy: c.hangupBy ?? "system" });
  }
}
