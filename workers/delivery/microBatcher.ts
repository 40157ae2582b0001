import type { Logger } from "../../core/logging/logger.ts";
import { pickBatch, type QueuedGroup } from "./batchBuilder.ts";
import { sendBatch, type ClaimGroups, type GroupOutcome, type SenderDeps } from "./batchSender.ts";
import { DeliveryError, internalDeliveryError } from "./deliveryError.ts";
import { mergeRetryResults, planLimitedRetry } from "./limitedRetry.ts";
import type { CommandGroup, CommandResult } from "./types.ts";

/**
 * Micro-batcher + parallel senders: groups are queued, packed into batches of at most
 * `batchMaxCommands` (a batch leaves when full or when its oldest group waited `batchWaitMs`), and up
 * to `parallelBatches` batches fly at once, each behind the cluster limiter (inside `sendBatch`).
 * A batch the portal refuses as a whole with a 4xx did not run: it is split in halves and each half
 * sent on its own, down to single groups, so one bad command never fails another call's group.
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

/** What a queued group resolves with, or is rejected with. */
export interface Settlement {
  resolve: (results: CommandResult[]) => void;
  reject: (err: Error) => void;
}

export class MicroBatcher {
  private readonly queue: Pending[] = [];
  private readonly inFlightCalls = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Stopping: part-filled batches leave at once instead of waiting for more groups. */
  private flushing = false;

  constructor(
    private readonly settings: BatcherSettings,
    /** Sender and limiter (for method pauses). */
    private readonly sender: SenderDeps,
    private readonly logger?: Logger,
    /** The shared queue's fence before each attempt (see `ClaimGroups`). */
    private readonly claim?: ClaimGroups,
  ) {}

  /** Queues a validated, non-empty group; resolves with one result per command. */
  enqueue(group: CommandGroup): Promise<CommandResult[]> {
    return new Promise((resolve, reject) => this.add(group, { resolve, reject }));
  }

  /** Queues a group whose answer goes to `settlement`; `tag` names it for the claim before sending. */
  add(group: CommandGroup, settlement: Settlement, enqueuedAt = Date.now(), tag?: string): void {
    const pending: Pending = { seq: this.seq++, group, enqueuedAt, limitRounds: 0, ...settlement };
    if (tag !== undefined) pending.tag = tag;
    this.queue.push(pending);
    this.schedule();
  }

  /** From now on a part-filled batch leaves at once (the sender is stopping and takes nothing more). */
  flush(): void {
    this.flushing = true;
    this.schedule();
  }

  /** Takes every queued (not yet sent) group out, unsettled: the caller hands them back elsewhere. */
  takeQueued(): QueuedGroup[] {
    if (this.timer) clearTimeout(this.timer);
    return this.queue.splice(0);
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
      if (size < batchMaxCommands && waitLeft > 0 && !this.flushing) {
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
    const run = this.sendSplitting(batch)
      .then(
        (outcomes) => batch.forEach((p, i) => this.settleOutcome(p, outcomes[i])),
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
   * Sends the batch; when the portal refuses it as a whole with a 4xx (it did not run), sends each
   * half on its own, down to single groups: only the group that carries the bad command fails.
   */
  private async sendSplitting(batch: Pending[]): Promise<GroupOutcome[]> {
    const outcomes = await sendBatch(batch, this.sender, this.claim);
    const refused = outcomes.find((o) => o.kind === "failed" && o.error.reason === "permanent_error");
    const sent = batch.filter((_, i) => outcomes[i]!.kind !== "dropped");
    if (!refused || sent.length < 2) return outcomes;
    const half = Math.ceil(sent.length / 2);
    this.logger?.warn(
      { groups: sent.length, code: refused.kind === "failed" ? refused.error.lastError.code : undefined },
      "batch refused as a whole: sending its halves on their own",
    );
    const parts = [sent.slice(0, half), sent.slice(half)];
    const answered = new Map<Pending, GroupOutcome>();
    for (const part of parts) {
      const partOutcomes = await this.sendSplitting(part);
      part.forEach((p, i) => answered.set(p, partOutcomes[i]!));
    }
    return batch.map((p) => answered.get(p) ?? { kind: "dropped" });
  }

  private settleOutcome(p: Pending, outcome: GroupOutcome | undefined): void {
    if (outcome?.kind === "dropped") return; // its owner took it back: someone else answers it
    if (outcome?.kind === "failed") return p.reject(outcome.error);
    this.settleSafely(p, outcome?.results);
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
    const followUp: Pending = {
      seq: this.seq++,
      group: plan.group,
      enqueuedAt: p.enqueuedAt,
      limitRounds: p.limitRounds + 1,
      resolve: (retried) => p.resolve(mergeRetryResults(results, plan, retried)),
      reject: p.reject,
    };
    if (p.tag !== undefined) followUp.tag = p.tag;
    this.queue.unshift(followUp);
  }
}
