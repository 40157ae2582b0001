import type { CallEvent } from "../../core/calls/types.ts";
import type { AriChannel, AriEvent } from "../ari/types.ts";
import { nowIso, type CallContext } from "../calls/context.ts";
import {
  linkedidOf,
  liveObservedChannels,
  newObservedCall,
  observeEvent,
  observeGone,
  startsObservedCall,
  type Observation,
  type ObserveRules,
  type ObservedCall,
} from "./translate.ts";

/** How long after its client left a call waits for its legs' ends before they are assumed gone. */
const END_GRACE_MS = 5000;

/**
 * Observe mode, the I/O part: follows calls the PBX's own dialplan routes (the ARI websocket is opened
 * with subscribeAll), translates their events with the pure `observeEvent` and writes the facts through
 * the same durable writer as the app's own calls (CallState in Redis, lifecycle jobs), in the call's
 * serial queue. What it knows of each call is kept in Redis (`appObserved`), so a restarted app goes on
 * with a call in progress: its resync ends the channels that went meanwhile at the moment the app lost
 * sight of Asterisk, and picks up calls that began while it was away.
 */
export class Observer {
  private readonly calls = new Map<string, ObservedCall>();
  /** Call ids with facts recorded and their end not yet written (the Stasis resync leaves them alone). */
  private readonly owned = new Set<string>();
  /** Calls given up (Redis could not take their start): their later events are ignored. */
  private readonly ignored = new Set<string>();

  constructor(
    private readonly ctx: CallContext,
    private readonly rules: ObserveRules,
    private readonly callIdOf: (linkedid: string) => string,
  ) {}

  /** Whether a call id is one of the calls observe mode follows (the Stasis resync leaves them alone). */
  owns(callId: string): boolean {
    return this.owned.has(callId);
  }

  get size(): number {
    return this.calls.size;
  }

  onEvent(event: AriEvent): void {
    const call = this.callOf(event);
    if (call) this.apply(call, (c) => observeEvent(c, event, this.rules, eventTime(event)));
    // A call's first channel is gone: no event can start following its linkedid any more.
    if (event.type === "ChannelDestroyed") this.ignored.delete(event.channel.id);
  }

  /**
   * After every (re)connect: the calls an earlier process (or this one, before the websocket went)
   * followed, compared with Asterisk's channels; and calls that began in an observed context while
   * nobody listened.
   */
  async resync(lostAt?: number): Promise<{ followed: number; ended: number; found: number }> {
    await this.load();
    const channels = await this.ctx.rest.listChannels();
    const live = new Map(channels.map((c) => [c.id, c]));
    const at = new Date(lostAt ?? Date.now()).toISOString();
    let ended = 0;
    for (const call of [...this.calls.values()]) {
      for (const id of liveObservedChannels(call)) {
        const channel = live.get(id);
        const latest = this.calls.get(call.linkedid);
        if (!latest) break;
        if (!channel) this.apply(latest, (c) => observeGone(c, id, at));
        else this.apply(latest, (c) => observeEvent(c, stateOf(channel), this.rules, nowIso()));
      }
      if (!this.calls.has(call.linkedid)) ended++;
    }
    const found = this.adoptNew(channels);
    return { followed: this.calls.size, ended, found };
  }

  /** Live channels of calls nobody followed: their first channel in an observed context, and its legs. */
  private adoptNew(channels: AriChannel[]): number {
    let found = 0;
    for (const first of channels) {
      if (!startsObservedCall(first, this.rules) || this.calls.has(first.id)) continue;
      const call = newObservedCall(first, this.callIdOf(first.id), createdAt(first));
      this.ctx.logger.info({ callId: call.callId }, "observed call found by the resync; following it");
      found++;
      this.apply(call, (c) => observeEvent(c, stateOf(first), this.rules, nowIso()));
      for (const channel of channels.filter((c) => linkedidOf(c) === first.id && c.id !== first.id)) {
        const created: AriEvent = { type: "ChannelCreated", channel };
        const latest = this.calls.get(first.id);
        if (latest) this.apply(latest, (c) => observeEvent(c, created, this.rules, createdAt(channel)));
        const again = this.calls.get(first.id);
        if (again) this.apply(again, (c) => observeEvent(c, stateOf(channel), this.rules, nowIso()));
      }
    }
    return found;
  }

  /** The call an event is about: a followed one, or a new one whose first channel it shows. */
  private callOf(event: AriEvent): ObservedCall | undefined {
    for (const channel of channelsOf(event)) {
      const linkedid = linkedidOf(channel) ?? channel.id;
      if (this.ignored.has(linkedid)) return undefined;
      const known = this.calls.get(linkedid);
      if (known) return known;
    }
    for (const channel of channelsOf(event)) {
      if (!startsObservedCall(channel, this.rules) || event.type === "ChannelDestroyed") continue;
      return newObservedCall(channel, this.callIdOf(channel.id), eventTime(event));
    }
    return undefined;
  }

  private apply(call: ObservedCall, step: (call: ObservedCall) => Observation): void {
    const before = call;
    const { call: after, facts, dropped } = step(before);
    if (dropped) {
      this.calls.delete(before.linkedid);
      this.ignored.add(before.linkedid);
      this.ctx.logger.debug({ linkedid: before.linkedid }, "call entered the Stasis app; not observed");
      return;
    }
    if (after.ended) this.calls.delete(after.linkedid);
    else this.calls.set(after.linkedid, after);
    if (facts.length === 0) return;
    const first = !before.started;
    this.owned.add(after.callId);
    void this.ctx.serial.run(after.callId, () => this.write(after, facts, first));
    if (after.clientGone && !after.ended) this.armEndGrace(after);
  }

  private async write(call: ObservedCall, facts: CallEvent[], first: boolean): Promise<void> {
    const log = this.ctx.logger.child({ callId: call.callId });
    let events = facts;
    if (first) {
      const outcome = await this.ctx.writer.start(call.callId, { events: [facts[0]!] });
      if (outcome === "unreachable") {
        log.warn("Redis could not take the observed call in time; it is left to re-processing");
        this.calls.delete(call.linkedid);
        this.ignored.add(call.linkedid);
        this.owned.delete(call.callId);
        return;
      }
      log.info({ from: call.clientNumber, line: call.lineNumber }, "observed call");
      events = facts.slice(1);
    }
    if (this.ignored.has(call.linkedid)) return;
    if (events.length) await this.ctx.writer.write(call.callId, { events });
    log.debug({ facts: facts.map((f) => f.type) }, "observed call changed");
    const key = this.ctx.keys.appObserved;
    if (call.ended) {
      this.ctx.redis.write("observed call", (r) => r.hdel(key, call.callId));
      this.ignored.delete(call.linkedid);
      this.owned.delete(call.callId);
      log.info({ hangupBy: call.hangupBy, talked: call.talked }, "observed call ended");
    } else {
      this.ctx.redis.write("observed call", (r) => r.hset(key, call.callId, JSON.stringify(call)));
    }
  }

  /** Legs that never report their end (events lost) are ended a little after the client left. */
  private armEndGrace(call: ObservedCall): void {
    this.ctx.timers.set(call.callId, "observeEnd", END_GRACE_MS, async () => {
      const latest = this.calls.get(call.linkedid);
      if (!latest) return;
      for (const id of liveObservedChannels(latest)) {
        const still = await this.ctx.rest.getChannel(id).catch(() => undefined);
        const now = this.calls.get(call.linkedid);
        if (!still && now) this.apply(now, (c) => observeGone(c, id, nowIso()));
      }
    });
  }

  /** The calls followed before (by an earlier process): into memory, unless known already. */
  private async load(): Promise<void> {
    const stored = await this.ctx.redis.read(
      "observed calls",
      (r) => r.hgetall(this.ctx.keys.appObserved),
      {} as Record<string, string>,
    );
    for (const json of Object.values(stored)) {
      const call = JSON.parse(json) as ObservedCall;
      if (this.calls.has(call.linkedid)) continue;
      this.calls.set(call.linkedid, call);
      this.owned.add(call.callId);
    }
  }
}

function channelsOf(event: AriEvent): AriChannel[] {
  switch (event.type) {
    case "Dial":
      return event.caller ? [event.peer, event.caller] : [event.peer];
    case "StasisStart":
    case "StasisEnd":
    case "ChannelCreated":
    case "ChannelDialplan":
    case "ChannelStateChange":
    case "ChannelHangupRequest":
    case "ChannelDestroyed":
      return [event.channel];
    default:
      return [];
  }
}

/** ARI dates events like `2026-12-01T14:00:00.123+0000`; the model keeps ISO strings in UTC. */
export function eventTime(event: { timestamp?: string }): string {
  const ms = Date.parse((event.timestamp ?? "").replace(/([+-]\d\d)(\d\d)$/, "$1:$2"));
  return Number.isNaN(ms) ? nowIso() : new Date(ms).toISOString();
}

function createdAt(channel: AriChannel): string {
  return eventTime({ timestamp: channel.creationtime });
}

function stateOf(channel: AriChannel): AriEvent {
  return { type: "ChannelStateChange", channel };
}
