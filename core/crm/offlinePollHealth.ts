/**
 * How the offline event poll fares (PURE: the clock is passed in). A failing poll (the portal away,
 * answering 503, timing out; Redis away) starts a spell: the poll backs off exponentially up to
 * `OFFLINE_POLL_MAX_BACKOFF_MS`, the spell is logged once when it starts and once when it ends, and
 * `/status` shows it from the state the poller publishes (the `offlinePoll` heartbeat).
 */

/** The longest pause between polls in a spell: clicks queued at the portal wait at most this long. */
export const OFFLINE_POLL_MAX_BACKOFF_MS = 15_000;

/** The heartbeat field the poller publishes its state under (read by `/status`). */
export const OFFLINE_POLL_COMPONENT = "offlinePoll";

/** What the poller publishes (epoch ms; absent fields are unknown or not in a spell). */
export interface OfflinePollView {
  failingSince?: number;
  failures: number;
  lastError?: string;
  lastOkAt?: number;
  /** Events taken from the portal that wait for Redis (they are appended before the next poll). */
  heldEvents: number;
}

export type PollTransition = { kind: "spellStarted"; error: string } | { kind: "spellEnded"; awayMs: number };

export class OfflinePollHealth {
  private failingSince: number | undefined;
  private failures = 0;
  private lastError: string | undefined;
  private lastOkAt: number | undefined;

  constructor(private readonly baseMs: number) {}

  /** A poll went through; returns the end of a spell when one was running. */
  ok(now: number): PollTransition | undefined {
    const since = this.failingSince;
    this.failingSince = undefined;
    this.failures = 0;
    this.lastError = undefined;
    this.lastOkAt = now;
    return since === undefined ? undefined : { kind: "spellEnded", awayMs: now - since };
  }

  /** A poll failed; returns the start of a spell for its first failure. */
  failed(error: string, now: number): PollTransition | undefined {
    this.failures++;
    this.lastError = error;
    if (this.failingSince !== undefined) return undefined;
    this.failingSince = now;
    return { kind: "spellStarted", error };
  }

  /** The pause before the next poll: the interval, doubled per failure in a row, capped. */
  delayMs(): number {
    if (this.failures === 0) return this.baseMs;
    const backoff = this.baseMs * 2 ** Math.min(this.failures, 16);
    return Math.min(Math.max(this.baseMs, OFFLINE_POLL_MAX_BACKOFF_MS), backoff);
  }

  view(heldEvents: number): OfflinePollView {
    const out: OfflinePollView = { failures: this.failures, heldEvents };
    if (this.failingSince !== undefined) out.failingSince = this.failingSince;
    if (this.lastError !== undefined) out.lastError = this.lastError;
    if (this.lastOkAt !== undefined) out.lastOkAt = this.lastOkAt;
    return out;
  }
}
