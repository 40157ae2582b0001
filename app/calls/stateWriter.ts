import type { Queue } from "bullmq";
import type { CallStore } from "../../core/calls/callStore.ts";
import type { CallEvent, CallState } from "../../core/calls/types.ts";
import { LIFECYCLE_JOB_OPTIONS, lifecycleJobId, type LifecycleJob } from "../../core/jobs/lifecycle.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { CallControl, ControlStore } from "./control.ts";
import { lifecycleKindOf } from "./lifecycleKind.ts";

export type ApplyCallEvent = (state: CallState | undefined, event: CallEvent) => CallState;

export interface StateWriterDeps {
  store: CallStore;
  controls: ControlStore;
  queue: Queue;
  apply: ApplyCallEvent;
  logger: Logger;
}

/** Conflicts in a row after which an event is given up (another writer keeps moving the call). */
const MAX_CONFLICTS = 20;

/**
 * The Redis side of one call write, each step a single attempt (the durable writer retries): the
 * control record, each event folded by the pure reducer and stored compare-and-set, its lifecycle job.
 * Keeps the last stored state of live calls so a write needs no read; a refused write (someone else
 * stored a newer version) reloads the stored state and applies the event again on top of it.
 */
export class StateWriter {
  private readonly known = new Map<string, CallState>();

  constructor(private readonly deps: StateWriterDeps) {}

  /** The last version this process knows to be stored, if it knows one. */
  knownVersion(callId: string): number | undefined {
    return this.known.get(callId)?.version;
  }

  /** Seeds the cache with a state just read (resync), so outbox records get exact versions. */
  remember(state: CallState): void {
    if (state.phase !== "ended") this.known.set(state.callId, state);
  }

  get cachedCalls(): number {
    return this.known.size;
  }

  async get(callId: string): Promise<CallState | undefined> {
    return this.known.get(callId) ?? (await this.deps.store.get(callId));
  }

  activeCallIds(): Promise<string[]> {
    return this.deps.store.activeCallIds();
  }

  async saveControl(ctl: CallControl, channels: readonly string[], replayed: boolean): Promise<void> {
    if (replayed) {
      const stored = await this.deps.controls.load(ctl.callId);
      if ((stored?.rev ?? -1) >= (ctl.rev ?? 0)) return; // a newer record was stored after this one
    }
    await this.deps.controls.save(ctl, channels);
    if (ctl.ended) await this.deps.controls.forget(ctl);
  }

  /**
   * Applies one event and stores the result; returns the stored version, or undefined when the reducer
   * refuses the event or the call is unknown. `alreadyAt`: the version this event produced if it was stored before (outbox replay):
   * a stored version at or past it means the event is in, and only its job is published again.
   */
  async applyEvent(callId: string, event: CallEvent, alreadyAt?: number): Promise<number | undefined> {
    for (let conflicts = 0; conflicts < MAX_CONFLICTS; conflicts++) {
      const base = this.known.get(callId) ?? (await this.deps.store.get(callId));
      if (alreadyAt !== undefined && base && base.version >= alreadyAt) return alreadyAt;
      if (!base && event.type !== "callStarted") {
        this.deps.logger.warn({ callId, type: event.type }, "event for an unknown call ignored");
        return undefined;
      }
      const next = this.fold(callId, base, event);
      if (!next) return undefined;
      if (await this.deps.store.put(next, base?.version ?? null)) {
        if (next.phase === "ended") this.known.delete(callId);
        else this.known.set(callId, next);
        return next.version;
      }
      this.known.delete(callId);
      this.deps.logger.warn(
        { callId, type: event.type, expected: base?.version ?? null },
        "the stored call moved on meanwhile; applying the event again on the stored state",
      );
    }
    this.deps.logger.error({ callId, type: event.type }, "event given up after repeated conflicts");
    return undefined;
  }

  private fold(callId: string, base: CallState | undefined, event: CallEvent): CallState | undefined {
    try {
      return this.deps.apply(base, event);
    } catch (err) {
      this.deps.logger.error({ callId, err, event }, "reducer refused an event");
      return undefined;
    }
  }

  /** The lifecycle job of one state version (idempotent: the job id is the call and the version). */
  async publish(callId: string, version: number, event: CallEvent): Promise<void> {
    const job: LifecycleJob = { callId, version, kind: lifecycleKindOf(event), at: event.at };
    await this.deps.queue.add(job.kind, job, {
      jobId: lifecycleJobId(callId, version),
      ...LIFECYCLE_JOB_OPTIONS,
    });
  }

  /** Every trace of a call given up before it was durable (handed to the dialplan). */
  async discard(callId: string, channels: readonly string[]): Promise<void> {
    this.known.delete(callId);
    await this.deps.store.remove(callId);
    await this.deps.controls.discard(callId, channels);
  }

  /** Drops the cache entry of a call this process no longer follows. */
  forgetCall(callId: string): void {
    this.known.delete(callId);
  }
}
