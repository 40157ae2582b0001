import type { Logger } from "../../core/logging/logger.ts";
import { allChannels, type CallControl, type ControlStore } from "./control.ts";
import { CallSession, type SessionWriter } from "./session.ts";

/** How long a call handed to the dialplan is remembered (its late write has reached Redis by then). */
const HANDED_OFF_MEMORY_MS = 10 * 60_000;

export interface CallSessionsDeps {
  writer: SessionWriter & { forgetCall(callId: string): void };
  controls: ControlStore;
  logger: Logger;
}

/**
 * The calls this process controls, by call id and by channel id. A call enters with `open` (a new
 * call) or `find` (a call started by an earlier process, loaded from Redis) and leaves with `close`
 * once it ended, so nothing of it stays in memory.
 */
export class CallSessions {
  private readonly calls = new Map<string, CallSession>();
  private readonly channels = new Map<string, string>();
  /** Calls handed to the dialplan (call id → when forgotten): a late write of theirs must not revive them. */
  private readonly handedOff = new Map<string, number>();

  constructor(private readonly deps: CallSessionsDeps) {}

  /** A new call; its channels are indexed at once. */
  open(ctl: CallControl): CallSession {
    const session = this.attach(ctl);
    for (const id of allChannels(ctl)) session.bind(id);
    return session;
  }

  get(callId: string): CallSession | undefined {
    return this.calls.get(callId);
  }

  /** The session of a live call: in memory, or loaded from Redis (a call of an earlier process). */
  async find(callId: string): Promise<CallSession | undefined> {
    const known = this.calls.get(callId);
    if (known || this.handedOff.has(callId)) return known;
    const ctl = await this.deps.controls.load(callId);
    if (!ctl || ctl.ended) return undefined;
    return this.calls.get(callId) ?? this.adopt(ctl);
  }

  /** Whether a call is live (not ended, not handed to the dialplan), without adopting it. */
  async isLive(callId: string): Promise<boolean> {
    const known = this.calls.get(callId);
    if (known) return !known.ctl.ended;
    if (this.handedOff.has(callId)) return false;
    const ctl = await this.deps.controls.load(callId);
    return ctl !== undefined && !ctl.ended;
  }

  /** A call of an earlier process, loaded by the caller (resync). */
  adopt(ctl: CallControl): CallSession {
    const session = this.attach(ctl);
    for (const id of allChannels(ctl)) {
      this.channels.set(id, ctl.callId);
      session.channelIds.add(id);
    }
    return session;
  }

  async callOf(channelId: string): Promise<string | undefined> {
    const callId = this.channels.get(channelId) ?? (await this.deps.controls.callOf(channelId));
    return callId && !this.handedOff.has(callId) ? callId : undefined;
  }

  /** A call handed back to the dialplan: forgotten, and never adopted again from what reaches Redis late. */
  handOff(session: CallSession): void {
    this.close(session);
    const now = Date.now();
    for (const [callId, until] of this.handedOff) if (until < now) this.handedOff.delete(callId);
    this.handedOff.set(session.callId, now + HANDED_OFF_MEMORY_MS);
  }

  /** Forgets an ended call (or one handed to the dialplan); a channel that moved to another call stays. */
  close(session: CallSession): void {
    for (const id of [...session.channelIds, ...allChannels(session.ctl)]) {
      if (this.channels.get(id) === session.callId) this.channels.delete(id);
    }
    if (this.calls.get(session.callId) === session) this.calls.delete(session.callId);
    this.deps.writer.forgetCall(session.callId);
  }

  list(): CallSession[] {
    return [...this.calls.values()];
  }

  sizes(): { calls: number; channels: number; handedOff: number } {
    return { calls: this.calls.size, channels: this.channels.size, handedOff: this.handedOff.size };
  }

  private attach(ctl: CallControl): CallSession {
    const session = new CallSession(ctl, this.deps.writer, this.deps.logger, (channelId, callId) =>
      this.channels.set(channelId, callId),
    );
    this.calls.set(ctl.callId, session);
    return session;
  }
}
