import type { Logger } from "../../core/logging/logger.ts";
import { pickBatch, type QueuedGroup } from "./batchBuilder.ts";
import { sendBatch, type SenderDeps } from "./batchSender.ts";
import { DeliveryError, internalDeliveryError } from "./deliveryError.ts";
import { mergeRetryResults, planLimitedRetry } from "./limitedRetry.ts";
import type { CommandGroup, CommandResult } from "./types.ts";

/**
 * Micro-batcher + parallel senders: groups are queued, packed into batches of at most
 * `batchMaxCommands` (a batch leaves when full or when its oldest group waited `batchWaitMs`), and up
 * to `parallelBatches` batches fly at once, each behind the cluster limiter (inside `sendBatch`).
 */

export interface BatcherSettings {
  parallelBatches: number;
  batchMaxCommands: number;
  batchWaitMs: number;
  /** How often commands a limit refused inside a batch are sent again before their answer stands. */
  maxLimitRounds: number;
}

interface Pending extends QueuedGroup {
  enqueuedAt: number;
  /** Follow-ups sent for commands refused by a limit inside a batch. */
  limitRounds: number;
  resolve: (results: CommandResult[]) => void;
  reject: (err: Error) => void;
}

export class MicroBatcher {
  private readonly queue: Pending[] = [];
  private readonly inFlightCalls = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: BatcherSettings,
    /** Sender, limiter (for method pauses) and `isClosed` (then a part-filled batch leaves at once). */
    private readonly sender: SenderDeps,
    private readonly logger?: Logger,
  ) {}

  /** Queues a validated, non-empty group; resolves with one result per command. */
  enqueue(group: CommandGroup): Promise<CommandResult[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ seq: this.seq++, group, enqueuedAt: Date.now(), limitRounds: 0, resolve, reject });
      this.schedule();
    });
  }

  /** Batches in flight; queued groups and their commands. */
  inFlightBatches(): number {
    return this.running.size;
  }
  queuedGroups(): number {
    return this.queue.length;
  }
  queuedCommands(): number {
    return this.queue.reduce((n, q) => n + q.group.commands.length, 0);
  }

  /** The batches in flight, to wait for one of them. */
  runningBatches(): Promise<void>[] {
    return [...this.running];
  }

  /** Stops the wait timer and rejects every queued group with `err`. */
  rejectQueued(err: DeliveryError): void {
    if (this.timer) clearTimeout(this.timer);
    for (const p of this.queue.splice(0)) p.reject(err);
  }

  schedule(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const { parallelBatches, batchMaxCommands, batchWaitMs } = this.settings;
    const limiter = this.sender.limiter;
    while (this.running.size < parallelBatches && this.queue.length > 0) {
      const held = (g: CommandGroup): boolean => g.commands.some((c) => limiter.pauseLeftMs(c.method) > 0);
      const batch = pickBatch(this.queue, this.inFlightCalls, batchMaxCommands, held);
      if (batch.length === 0) {
        // Queued groups wait for their call's batch in flight (schedule runs again when it ends) or
        // for a method pause to end: look again a little later.
        if (this.queue.some((q) => held(q.group))) this.timer = setTimeout(() => this.schedule(), 250);
        return;
      }
      const size = batch.reduce((n, q) => n + q.group.commands.length, 0);
      const oldest = this.queue[0]!.enqueuedAt; // the queue is in enqueue order
      const waitLeft = oldest + batchWaitMs - Date.now();
      if (size < batchMaxCommands && waitLeft > 0 && !this.sender.isClosed()) {
        this.timer = setTimeout(() => this.schedule(), waitLeft);
        return;
      }
      this.dispatch(batch as Pending[]);
    }
  }

  private dispatch(batch: Pending[]): void {
    for (const p of batch) {
      this.queue.splice(this.queue.indexOf(p), 1);
      this.inFlightCalls.add(p.group.callId);
    }
    const run = sendBatch(batch, this.sender)
      .then(
        (results) => batch.forEach((p, i) => this.settleSafely(p, results[i])),
        (err: unknown) => {
          const error = err instanceof DeliveryError ? err : internalDeliveryError(err);
          batch.forEach((p) => p.reject(error));
        },
      )
      .finally(() => {
        for (const p of batch) this.inFlightCalls.delete(p.group.callId);
        this.running.delete(run);
        this.schedule();
      });
    this.running.add(run);
  }

  /**
   * Every group of a batch settles, whatever its answer does to the handling: a group left pending
   * would hold its reconcile (and the call's lock, renewed meanwhile) for ever.
   */
  private settleSafely(p: Pending, results: CommandResult[] | undefined): void {
    try {
      if (!results) throw new Error("the batch answer has no results for this group");
      this.settle(p, results);
    } catch (err) {
      this.logger?.error({ callId: p.group.callId, err: String(err) }, "batch answer could not be handled");
      p.reject(internalDeliveryError(err));
    }
  }

  /** Resolves a group, or first re-queues (ahead of its call's later groups) what a limit refused. */
  private settle(p: Pending, results: CommandResult[]): void {
    const plan =
      p.limitRounds < this.settings.maxLimitRounds ? planLimitedRetry(p.group, results) : undefined;
    if (!plan) return p.resolve(results);
    this.logger?.warn(
      { callId: p.group.callId, commands: plan.indexes.length },
      "commands refused by a limit, re-sending",
    );
    this.queue.unshift({
      seq: this.seq++,
      group: plan.group,
      enqueuedAt: p.enqueuedAt,
      limitRounds: p.limitRounds + 1,
      resolve: (retried) => p.resolve(mergeRetryResults(results, plan, retried)),
      reject: p.reject,
    });
  }
}
