import type { CallEvent, CallState } from "../../core/calls/types.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { CallControl } from "./control.ts";
import type { Outbox } from "./outbox.ts";
import { outboxRecord } from "./outboxRecord.ts";
import type { RedisHealth } from "./redisHealth.ts";
import type { ReplicaConfirm } from "./replicaConfirm.ts";
import { retryForever, WriterClosedError } from "./retry.ts";
import type { StateWriter } from "./stateWriter.ts";

/** One change of a call: its control record after the change and the events it caused. */
export interface CallWrite {
  /** A snapshot, never mutated after it is handed over. */
  control?: CallControl;
  /** Channels to index to the call (with the control record). */
  channels?: string[];
  events: CallEvent[];
}

export type StartOutcome = "started" | "unreachable";

interface Entry {
  callId: string;
  write: CallWrite;
  /** From the outbox of an earlier process: the versions its events produced. */
  replayedVersions?: (number | null)[];
  /** Events of this write already stored. */
  applied: number;
  done: boolean;
  spooled: boolean;
  /** Counted in RedisHealth as a write Redis did not answer in time. */
  stuck: boolean;
  /** The first write of a new call: committed once its state is stored, abandoned on timeout. */
  first?: { state: "pending" | "committed" | "abandoned"; commit(outcome: StartOutcome): void };
  settle(): void;
  durable: Promise<void>;
}

export interface DurableWriterDeps {
  state: StateWriter;
  health: RedisHealth;
  outbox: Outbox;
  /** How long a write may wait for Redis before it goes to the outbox (or a new call to the dialplan). */
  timeoutMs: number;
  logger: Logger;
  /** With Redis replicas (Sentinel): a write is finished once replicas confirm it (replicaConfirm.ts). */
  replicas?: ReplicaConfirm;
}

/**
 * Durable, ordered writes of call changes, that never hold a call up for longer than the routing
 * budget. Per call, writes are applied strictly in order and retried until Redis takes them (never
 * dropped). A caller waits until its write is in Redis — or, when Redis does not answer within
 * `timeoutMs` (or is known to be away), until it is in the local outbox file (fsync), from where it
 * is replayed after a crash. A new call's first write is different: if Redis does not store it in
 * time, the call is given up (`unreachable`: hand it to the dialplan) and whatever reaches Redis later
 * is removed again, so a call is either fully the app's or not at all.
 */
export class DurableWriter {
  private readonly queues = new Map<string, Entry[]>();
  private readonly pumps = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private spooledPending = 0;
  private unreachableStarts = 0;

  constructor(private readonly deps: DurableWriterDeps) {}

  /** Loads what an earlier process left in the outbox; those writes go first. Returns their number. */
  restore(): number {
    const records = this.deps.outbox.open();
    for (const r of records) {
      const entry = this.enqueue(r.callId, { control: r.control, channels: r.channels, events: r.events });
      entry.replayedVersions = r.versions ?? r.events.map(() => null);
      entry.spooled = true;
      this.spooledPending++;
      this.markStuck(entry);
    }
    if (records.length) this.deps.logger.warn({ writes: records.length }, "replaying the outbox into Redis");
    return records.length;
  }

  /** The first write of a new call; `unreachable` when Redis cannot take it within the budget. */
  start(callId: string, write: CallWrite): Promise<StartOutcome> {
    if (!this.deps.health.up) return Promise.resolve(this.unreachable());
    return new Promise((resolve) => {
      const entry = this.enqueue(callId, write);
      const timer = setTimeout(() => {
        if (entry.first?.state !== "pending") return;
        entry.first.state = "abandoned";
        this.markStuck(entry);
        resolve(this.unreachable());
      }, this.deps.timeoutMs);
      entry.first = {
        state: "pending",
        commit: (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        },
      };
    });
  }

  private unreachable(): StartOutcome {
    this.unreachableStarts++;
    return "unreachable";
  }

  /** Resolves when the write is in Redis or, if Redis is away or slow, in the outbox. */
  write(callId: string, write: CallWrite): Promise<void> {
    const entry = this.enqueue(callId, write);
    if (!this.deps.health.up || this.behind(entry)) {
      this.spool(entry);
    } else {
      const timer = setTimeout(() => this.spool(entry), this.deps.timeoutMs);
      void entry.durable.then(() => clearTimeout(timer));
    }
    return entry.durable;
  }

  /** A late event of a call (a recording after the call ended). */
  record(callId: string, event: CallEvent): Promise<void> {
    return this.write(callId, { events: [event] });
  }

  get(callId: string): Promise<CallState | undefined> {
    return this.deps.state.get(callId);
  }

  remember(state: CallState): void {
    this.deps.state.remember(state);
  }

  /** Drops the cached state of a call this process stopped following. */
  forgetCall(callId: string): void {
    if (!this.queues.has(callId)) this.deps.state.forgetCall(callId);
  }

  /**
   * Writes not yet in Redis and of them those in the outbox, new calls Redis could not take (handed to
   * the dialplan), calls with writes queued, states cached.
   */
  stats(): { pending: number; outbox: number; unreachable: number; calls: number; cached: number } {
    let pending = 0;
    for (const q of this.queues.values()) pending += q.filter((e) => !e.done).length;
    return {
      pending,
      outbox: this.spooledPending,
      unreachable: this.unreachableStarts,
      calls: this.queues.size,
      cached: this.deps.state.cachedCalls,
    };
  }

  /** Calls started and not ended, according to Redis. */
  activeCallIds(): Promise<string[]> {
    return this.deps.state.activeCallIds();
  }

  /** Resolves when every queued write is in Redis (tests, and a clean shutdown). */
  async idle(): Promise<void> {
    while (this.pumps.size > 0) await Promise.all([...this.pumps.values()]);
  }

  /** Stops writing; what Redis has not confirmed yet goes to the outbox for the next start. */
  close(): void {
    this.abort.abort();
    for (const q of this.queues.values()) for (const entry of q) if (!entry.done) this.spool(entry);
    this.deps.outbox.close();
  }

  private enqueue(callId: string, write: CallWrite): Entry {
    let settle: () => void = () => {};
    const durable = new Promise<void>((resolve) => (settle = resolve));
    const entry: Entry = {
      callId,
      write,
      applied: 0,
      done: false,
      spooled: false,
      stuck: false,
      settle,
      durable,
    };
    const queue = this.queues.get(callId);
    if (queue) {
      queue.push(entry);
    } else {
      this.queues.set(callId, [entry]);
      this.pumps.set(callId, this.pump(callId));
    }
    return entry;
  }

  private async pump(callId: string): Promise<void> {
    const queue = this.queues.get(callId)!;
    while (queue.length > 0 && !this.abort.signal.aborted) {
      await this.process(queue[0]!);
      if (this.abort.signal.aborted) return;
      queue.shift();
    }
    this.queues.delete(callId);
    this.pumps.delete(callId);
  }

  private async process(entry: Entry): Promise<void> {
    try {
      const mark = this.deps.replicas?.mark() ?? 0;
      const versions = await this.apply(entry);
      if (versions && this.deps.replicas && !(await this.deps.replicas.confirmed(mark))) {
        // Redis was reconnected meanwhile (a failover): the server we reach now may lack what the
        // old primary acknowledged. Apply again from the stored versions: a no-op for what is there.
        this.deps.logger.info({ callId: entry.callId }, "call write verified after a Redis reconnect");
        entry.replayedVersions = versions;
        entry.applied = 0;
        this.deps.state.forgetCall(entry.callId);
        if (!(await this.apply(entry))) return;
      }
      if (versions) this.finish(entry);
    } catch (err) {
      if (err instanceof WriterClosedError) return;
      // Not a Redis error (those are retried for ever): a bug, logged with the call; the queue goes on.
      this.deps.logger.error({ callId: entry.callId, err, write: entry.write }, "call write failed");
      this.finish(entry);
    }
  }

  /** Stores the write's control record and events; their versions, or undefined when it was discarded. */
  private async apply(entry: Entry): Promise<(number | null)[] | undefined> {
    const { callId, write } = entry;
    const versions: (number | null)[] = entry.replayedVersions?.slice() ?? write.events.map(() => null);
    const control = write.control;
    if (control) {
      const replayed = entry.replayedVersions !== undefined;
      await this.forever(callId, () => this.deps.state.saveControl(control, write.channels ?? [], replayed));
    }
    for (let i = entry.applied; i < write.events.length; i++) {
      if (abandoned(entry)) return void (await this.discard(entry));
      const event = write.events[i]!;
      const alreadyAt = entry.replayedVersions?.[i] ?? undefined;
      const version = await this.forever(callId, () => this.deps.state.applyEvent(callId, event, alreadyAt));
      versions[i] = version ?? null;
      entry.applied = i + 1;
      if (abandoned(entry)) return void (await this.discard(entry));
      if (entry.first?.state === "pending") {
        entry.first.state = "committed";
        entry.first.commit("started");
      }
      if (version !== undefined)
        await this.forever(callId, () => this.deps.state.publish(callId, version, event));
    }
    return versions;
  }

  /** A new call given up (handed to the dialplan) whose first write reached Redis late: undo it. */
  private async discard(entry: Entry): Promise<void> {
    const channels = entry.write.channels ?? [];
    await this.forever(entry.callId, () => this.deps.state.discard(entry.callId, channels));
    this.deps.logger.info({ callId: entry.callId }, "late write of a call handed to the dialplan removed");
    const queue = this.queues.get(entry.callId) ?? [];
    for (const later of queue) this.finish(later);
    queue.splice(1);
  }

  private finish(entry: Entry): void {
    if (entry.done) return;
    entry.done = true;
    if (entry.stuck) this.deps.health.unstuck();
    if (entry.spooled && --this.spooledPending === 0) this.deps.outbox.clear();
    entry.settle();
  }

  /** Another write of the call waits in the outbox: this one must not overtake it. */
  private behind(entry: Entry): boolean {
    const queue = this.queues.get(entry.callId) ?? [];
    return queue.some((e) => e !== entry && e.spooled && !e.done);
  }

  private spool(entry: Entry): void {
    if (entry.done || entry.spooled) return;
    entry.spooled = true;
    this.spooledPending++;
    const queue = this.queues.get(entry.callId) ?? [];
    const stored = this.deps.state.knownVersion(entry.callId);
    this.deps.outbox.append(outboxRecord(entry.callId, queue, entry, stored));
    this.markStuck(entry);
    entry.settle();
  }

  private markStuck(entry: Entry): void {
    if (entry.stuck) return;
    entry.stuck = true;
    this.deps.health.stuck();
  }

  private forever<T>(callId: string, op: () => Promise<T>): Promise<T> {
    return retryForever(
      op,
      (err, attempt) => {
        if (attempt === 1 || attempt % 20 === 0)
          this.deps.logger.warn({ callId, err: err.message, attempt }, "call write waits for Redis");
      },
      this.abort.signal,
    );
  }
}

/** The first write of a new call that was given up (handed to the dialplan) while it waited. */
function abandoned(entry: Entry): boolean {
  return entry.first?.state === "abandoned";
}
