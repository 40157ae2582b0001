import type { Redis } from "ioredis";
import type { ClientResult, LegPurpose, LegResult } from "../../core/calls/types.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";

/**
 * What the app needs to keep controlling a call (as opposed to CallState, which is what the CRM
 * needs): the channels and the bridge, what each channel is, and the hunt in progress. Kept in
 * Redis so that a restarted app can re-adopt live calls.
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

export interface CallControl {
  callId: string;
  direction: "inbound" | "outbound" | "internal";
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
  hunt?: HuntControl;
  /** Set once the call is being torn down; callEnded is recorded when every channel is gone. */
  ending?: { clientResult?: ClientResult; clientCause?: number; hangupBy: "client" | "operator" | "system" };
  ended?: boolean;
  legSeq: number;
  recording?: string;
  /** Pending blind transfer target (exten), set by BridgeBlindTransfer. */
  transferTo?: { extension: string; fromExtension: string; kind: "blind" | "attended" };
}

/** HDEL of the channels (ARGV[2..]) that are still indexed to the call ARGV[1]. */
const FORGET_OWN = `for i = 2, #ARGV do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[i]) end
end
return 0`;

/** Every channel of the call the app is waiting for (not yet destroyed). */
export function liveChannels(ctl: CallControl): string[] {
  const out = Object.entries(ctl.legs)
    .filter(([, l]) => l.state !== "ended")
    .map(([id]) => id);
  if (ctl.clientChannelId && !ctl.legs[ctl.clientChannelId] && !ctl.clientGone) out.push(ctl.clientChannelId);
  return out;
}

/** Redis persistence of CallControl plus the channel → call index (`appControl`, `appChannels`). */
export class ControlStore {
  private readonly byCall = new Map<string, CallControl>();
  private readonly byChannel = new Map<string, string>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Pick<RedisKeys, "appControl" | "appChannels">,
  ) {}

  private key(callId: string): string {
    return this.keys.appControl(callId);
  }
  private get indexKey(): string {
    return this.keys.appChannels;
  }

  /** Indexes a channel in memory at once, before any await, so its next events find the call. */
  bindSync(channelId: string, callId: string): void {
    this.byChannel.set(channelId, callId);
  }

  cached(callId: string): CallControl | undefined {
    return this.byCall.get(callId);
  }

  async load(callId: string): Promise<CallControl | undefined> {
    const hit = this.byCall.get(callId);
    if (hit) return hit;
    const json = await this.redis.get(this.key(callId));
    if (!json) return undefined;
    const ctl = JSON.parse(json) as CallControl;
    this.byCall.set(callId, ctl);
    return ctl;
  }

  /** Writes the control record and indexes its channels. */
  async save(ctl: CallControl, ...channelIds: string[]): Promise<void> {
    this.byCall.set(ctl.callId, ctl);
    const multi = this.redis.multi();
    if (ctl.ended) multi.set(this.key(ctl.callId), JSON.stringify(ctl), "EX", 3600);
    else multi.set(this.key(ctl.callId), JSON.stringify(ctl));
    for (const id of channelIds) {
      this.byChannel.set(id, ctl.callId);
      multi.hset(this.indexKey, id, ctl.callId);
    }
    await multi.exec();
  }

  /**
   * Forgets an ended call's channels (the control record itself expires). A channel that moved to
   * another call meanwhile (the target of an attended transfer) stays indexed to that call.
   */
  async forget(ctl: CallControl): Promise<void> {
    const ids = [...Object.keys(ctl.legs), ...ctl.aux, ...(ctl.clientChannelId ? [ctl.clientChannelId] : [])];
    for (const id of ids) if (this.byChannel.get(id) === ctl.callId) this.byChannel.delete(id);
    this.byCall.delete(ctl.callId);
    if (ids.length) await this.redis.eval(FORGET_OWN, 1, this.indexKey, ctl.callId, ...ids);
  }

  async callOf(channelId: string): Promise<string | undefined> {
    return this.byChannel.get(channelId) ?? (await this.redis.hget(this.indexKey, channelId)) ?? undefined;
  }
}
