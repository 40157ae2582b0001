import type { Queue } from "bullmq";
import type { CallStore } from "../../core/calls/callStore.ts";
import type { CallEvent, CallState } from "../../core/calls/types.ts";
import { LIFECYCLE_JOB_OPTIONS, lifecycleJobId, type LifecycleJob } from "../../core/jobs/lifecycle.ts";
import type { Logger } from "../../core/logging/logger.ts";
import { lifecycleKindOf } from "./lifecycleKind.ts";
import { KeyedSerial } from "./serial.ts";

export type ApplyCallEvent = (state: CallState | undefined, event: CallEvent) => CallState;

export interface CallRuntimeDeps {
  store: CallStore;
  queue: Queue;
  apply: ApplyCallEvent;
  logger: Logger;
  /** Called after every stored change with the number of calls not yet ended. */
  onActiveCount?: (n: number) => void;
}

/** Attempts with exponential backoff, kept 1 h when done, 7 days when failed (core/jobs/lifecycle.ts). */
export const JOB_OPTIONS = LIFECYCLE_JOB_OPTIONS;

/**
 * The durable heart of the app: per call, events are applied one at a time with the pure reducer,
 * the new state is stored, and its lifecycle job is published, all before the next event of that
 * call is looked at ("durable before moving on"). Redis hiccups are retried, not skipped.
 */
export class CallRuntime {
  private readonly states = new Map<string, CallState>();
  private readonly serial: KeyedSerial;

  constructor(private readonly deps: CallRuntimeDeps) {
    this.serial = new KeyedSerial((callId, err) =>
      deps.logger.error({ callId, err }, "call event not recorded"),
    );
  }

  /** Applies, stores and publishes one event; resolves with the new state (undefined if refused). */
  record(callId: string, event: CallEvent): Promise<CallState | undefined> {
    let result: CallState | undefined;
    return this.serial
      .run(callId, async () => {
        result = await this.applyDurably(callId, event);
      })
      .then(() => result);
  }

  /** Current state (memory first, then Redis). */
  async get(callId: string): Promise<CallState | undefined> {
    return this.states.get(callId) ?? (await this.deps.store.get(callId));
  }

  /** Calls started and not ended, according to Redis. */
  activeCallIds(): Promise<string[]> {
    return this.deps.store.activeCallIds();
  }

  idle(): Promise<void> {
    return this.serial.idle();
  }

  private async applyDurably(callId: string, event: CallEvent): Promise<CallState | undefined> {
    const current = await this.get(callId);
    if (!current && event.type !== "callStarted") {
      this.deps.logger.warn({ callId, type: event.type }, "event for an unknown call ignored");
      return undefined;
    }
    let next: CallState;
    try {
      next = this.deps.apply(current, event);
    } catch (err) {
      this.deps.logger.error({ callId, err, event }, "reducer refused an event");
      return undefined;
    }
    const stored = await this.withRetry(callId, () => this.deps.store.put(next));
    if (!stored) {
      // Another writer got ahead (e.g. an old process after a restart): trust Redis, drop our copy.
      this.states.delete(callId);
      this.deps.logger.error(
        { callId, type: event.type },
        "a newer version of the call is stored; event dropped",
      );
      return undefined;
    }
    const job: LifecycleJob = { callId, version: next.version, kind: lifecycleKindOf(event), at: event.at };
    await this.withRetry(callId, () =>
      this.deps.queue.add(job.kind, job, { jobId: lifecycleJobId(callId, next.version), ...JOB_OPTIONS }),
    );
    if (next.phase === "ended") this.states.delete(callId);
    else this.states.set(callId, next);
    this.deps.onActiveCount?.(this.states.size);
    this.deps.logger.debug({ callId, type: event.type, version: next.version }, "call event recorded");
    return next;
  }

  private async withRetry<T>(callId: string, work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (err) {
        if (attempt >= 20) throw err;
        this.deps.logger.warn({ callId, err: (err as Error).message, attempt }, "retrying durable write");
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
      }
    }
  }
}
