import type { Redis } from "ioredis";
import type { OriginateFailure } from "../../core/calls/originateFailure.ts";
import type { ClientResult, LegPurpose, LegResult } from "../../core/calls/types.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";

/**
 * What the app needs to keep controlling a call (as opposed to CallState, which is what the CRM
 * needs): the channels and the bridge, what each channel is, the hunt and the IVR in progress. Kept
 * in Redis so that a restarted app re-adopts live calls where they were.
 */
export interface LegControl {
  extension: string;
  purpose: LegPurpose;
  state: "dialling" | "ringing" | "up" | "ended";
  /** Set when the app hangs the leg up, so its ChannelDestroyed is reported with the right result. */
  endResult?: LegResult;
  /** The leg left the call by a transfer; its hangup does not end the call. */
  transferredAway?: boolean;
}

export interface HuntControl {
  /** `group`: an operator group of a DID; `extension`: one extension (IVR choice, internal call). */
  kind: "group" | "extension";
  target: string;
  purpose: LegPurpose;
  /** Ring all remaining members at once. */
  ringall: boolean;
  /** Members still to be tried, in order. */
  remaining: string[];
  /** Epoch ms when the whole hunt gives up. */
  deadline: number;
  ringTimeoutSec: number;
  /** Groups already tried (overflow loop guard). */
  visited: string[];
  /** After an extension hunt fails: continue with this group (IVR). */
  thenGroup?: string;
}

/** A caller in the IVR: the digits so far (durable, so a restarted app lets the caller go on). */
export interface IvrControl {
  /** The DID's group, where the call goes when no extension is chosen or it does not answer. */
  group: string;
  digits: string;
  /** Epoch ms when the digit timer fires. */
  deadline: number;
}

export interface CallControl {
  callId: string;
  /** Increases with every change; the newest control record wins when an outbox is replayed. */
  rev?: number;
  direction: "inbound" | "outbound" | "internal" | "callback";
  /** The client's channel: inbound caller, outbound callee (trunk), internal caller. */
  clientChannelId?: string;
  clientAnswered: boolean;
  /** The client's channel is destroyed. */
  clientGone?: boolean;
  /** Caller id shown on operator phones (the client's number as Asterisk gave it). */
  clientNumber: string;
  /** Extension that placed an outbound/internal call (marked busy for the call's duration). */
  originExtension?: string;
  /** Line (DID) of an inbound call, for IVR and group lookup. */
  lineNumber: string;
  bridgeId?: string;
  legs: Record<string, LegControl>;
  /** The operator leg talking with the client right now. */
  talkingLegId?: string;
  /** Helper channels (Local halves of a transfer) that must not end the call when they go. */
  aux: string[];
  /** Channels that left the call's lists (a helper that went, a client swapped out): still indexed. */
  gone?: string[];
  hunt?: HuntControl;
  ivr?: IvrControl;
  /** Set once the call is being torn down; callEnded is recorded when every channel is gone. */
  ending?: {
    clientResult?: ClientResult;
    clientCause?: number;
    hangupBy: "client" | "operator" | "system";
    clientFailure?: OriginateFailure;
  };
  ended?: boolean;
  legSeq: number;
  recording?: string;
  /**
   * A click-to-call: the clicking user's phone (the `direct` leg) rings first; once it answers, the
   * client is dialled on the trunk (`client,<callId>`) into `clientChannelId`, set only then.
   */
  clickToCall?: { number: string; clientDialled: boolean };
  /** Pending blind transfer target (exten), set by BridgeBlindTransfer. */
  transferTo?: { extension: string; fromExtension: string; kind: "blind" | "attended" };
}

/** Every channel of the call the app is waiting for (not yet destroyed). */
export function liveChannels(ctl: CallControl): string[] {
  const out = Object.entries(ctl.legs)
    .filter(([, l]) => l.state !== "ended")
    .map(([id]) => id);
  if (ctl.clientChannelId && !ctl.legs[ctl.clientChannelId] && !ctl.clientGone) out.push(ctl.clientChannelId);
  return out;
}

/** Every channel id the call ever had (for the channel index). */
export function allChannels(ctl: CallControl): string[] {
  const ids = [...Object.keys(ctl.legs), ...ctl.aux, ...(ctl.gone ?? [])];
  if (ctl.clientChannelId) ids.push(ctl.clientChannelId);
  return [...new Set(ids)];
}

/** HDEL of the channels (ARGV[2..]) that are still indexed to the call ARGV[1]. */
const FORGET_OWN = `for i = 2, #ARGV do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[i]) end
end
return 0`;

/** How long a control record is kept after the call's end (a late event still finds its call). */
const ENDED_CONTROL_TTL_SEC = 3600;

/**
 * Redis persistence of CallControl plus the channel → call index (`appControl`, `appChannels`). Pure
 * I/O: what is in memory is the sessions' business (app/calls/sessions.ts).
 */
export class ControlStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Pick<RedisKeys, "appControl" | "appChannels">,
  ) {}

  async load(callId: string): Promise<CallControl | undefined> {
    const json = await this.redis.get(this.keys.appControl(callId));
    return json ? (JSON.parse(json) as CallControl) : undefined;
  }

  /** Writes the control record and indexes the given channels to its call. */
  async save(ctl: CallControl, channelIds: readonly string[] = []): Promise<void> {
    const multi = this.redis.multi();
    const key = this.keys.appControl(ctl.callId);
    if (ctl.ended) multi.set(key, JSON.stringify(ctl), "EX", ENDED_CONTROL_TTL_SEC);
    else multi.set(key, JSON.stringify(ctl));
    for (const id of channelIds) multi.hset(this.keys.appChannels, id, ctl.callId);
    await multi.exec();
  }

  /**
   * Forgets an ended call's channels (the control record itself expires). A channel that moved to
   * another call meanwhile (the target of an attended transfer) stays indexed to that call.
   */
  async forget(ctl: CallControl): Promise<void> {
    const ids = allChannels(ctl);
    if (ids.length) await this.redis.eval(FORGET_OWN, 1, this.keys.appChannels, ctl.callId, ...ids);
  }

  /** Removes every trace of a call the app gave up before it was durable (handed to the dialplan). */
  async discard(callId: string, channelIds: readonly string[]): Promise<void> {
    const multi = this.redis.multi().del(this.keys.appControl(callId));
    if (channelIds.length) multi.eval(FORGET_OWN, 1, this.keys.appChannels, callId, ...channelIds);
    await multi.exec();
  }

  async callOf(channelId: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.appChannels, channelId)) ?? undefined;
  }
}
