import type { Redis } from "ioredis";
import type { Logger } from "../../core/logging/logger.ts";

/** How long a call write waits for replicas to confirm it (`WAIT`) by default; a LAN takes < 1 ms. */
export const CONFIRM_TIMEOUT_MS = 500;
/** After replicas failed to confirm in time, writes go on unconfirmed this long before WAIT is tried again. */
export const DEGRADED_RETRY_MS = 5_000;

export interface ReplicaConfirmDeps {
  /** The connections the call writes go through (keys and the lifecycle queue). */
  connections: Redis[];
  /** Replicas that must confirm; 0 = off. */
  replicas: number;
  logger: Logger;
  timeoutMs?: number;
  now?: () => number;
}

/**
 * Replication of call writes is asynchronous: a write the primary acknowledged just before it died
 * may be missing on the replica Sentinel promotes. A call write is therefore finished only when
 * `WAIT` says `replicas` replicas have it. When a connection was re-established during the write
 * (a failover, or any reconnect), nothing says the server we reach now has it: the writer then
 * verifies the write against the current primary (stored versions, idempotent re-apply).
 *
 * When replicas do not confirm in time on an unchanged connection (the replica is down or lags), the
 * write is on the primary, which has no up-to-date replica to lose it to: writes go on unconfirmed
 * (a warning; `/status` shows it) and WAIT is tried again every few seconds, so a missing replica
 * never slows calls down for long.
 */
export class ReplicaConfirm {
  private epoch = 0;
  private degradedUntil = 0;
  private unconfirmedWrites = 0;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly onReady = (): void => void this.epoch++;

  constructor(private readonly deps: ReplicaConfirmDeps) {
    this.timeoutMs = deps.timeoutMs ?? CONFIRM_TIMEOUT_MS;
    this.now = deps.now ?? Date.now;
    for (const c of deps.connections) c.on("ready", this.onReady);
  }

  close(): void {
    for (const c of this.deps.connections) c.off("ready", this.onReady);
  }

  /** A mark taken before a write; `confirmed(mark)` compares it. */
  mark(): number {
    return this.epoch;
  }

  /** Writes finished without a replica's confirmation since the start (for `/status`). */
  get unconfirmed(): number {
    return this.unconfirmedWrites;
  }

  /** Whether replicas lag or are missing right now (writes go on unconfirmed). */
  get degraded(): boolean {
    return this.deps.replicas > 0 && this.now() < this.degradedUntil;
  }

  /**
   * True when the writes made since `mark` are safe: confirmed by the replicas, or on the primary we
   * are still connected to. False when a reconnect happened meanwhile: verify the write.
   */
  async confirmed(mark: number): Promise<boolean> {
    if (this.deps.replicas === 0) return true;
    if (this.degraded) return this.unconfirmedOn(mark);
    const acks = await this.waitForReplicas();
    if (mark !== this.epoch) return false;
    if (acks >= this.deps.replicas) return true;
    this.degradedUntil = this.now() + DEGRADED_RETRY_MS;
    this.deps.logger.warn(
      { replicas: this.deps.replicas, confirmed: acks, timeoutMs: this.timeoutMs },
      "Redis replicas did not confirm a call write in time: writes go on unconfirmed for a while (a failover now may lose the latest)",
    );
    return this.unconfirmedOn(mark);
  }

  private unconfirmedOn(mark: number): boolean {
    if (mark !== this.epoch) return false;
    this.unconfirmedWrites++;
    return true;
  }

  /** The fewest replicas that confirmed across the connections; -1 when a connection broke. */
  private async waitForReplicas(): Promise<number> {
    try {
      const acks = await Promise.all(
        this.deps.connections.map((c) => c.wait(this.deps.replicas, this.timeoutMs)),
      );
      return Math.min(...acks);
    } catch {
      return -1;
    }
  }
}
