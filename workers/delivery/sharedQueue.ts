import type { Redis } from "ioredis";
import type { Logger } from "../../core/logging/logger.ts";
import { DeliveryError, type DeliveryFailure } from "./deliveryError.ts";
import { CANCEL, RECOVER, SUBMIT } from "./queueScripts.ts";
import type { CommandGroup, CommandResult, CrmErrorInfo } from "./types.ts";

/**
 * The owner's side of the shared command queue of one portal. Every worker process puts its groups
 * into the same Redis queue; the one process that holds the sender lease (portalSender.ts) takes
 * them, fills batches of up to 50 commands from all processes' groups, and hands each answer back to
 * the owner's results list. So adding worker processes adds no partial batches: the batches are
 * filled as if one process sent everything.
 *
 * A watchdog notices a sender that died or lost its lease: a group it took but never sent goes back
 * first in line; one it sent may have run and is rejected as ambiguous (the reconciler verifies).
 */

export interface QueueKeys {
  queue: string;
  wake: string;
  groups: string;
  sender: string;
  /** The answers list of an owner. */
  results: (owner: string) => string;
}

export interface SharedQueueDeps {
  /** Commands. */
  redis: Redis;
  /** A connection of its own for the blocking read of answers. */
  blocking: Redis;
  keys: QueueKeys;
  owner: string;
  /** How often unanswered groups are checked against the sender lease. */
  watchMs: number;
  logger?: Logger;
}

/** What travels through the queue: the group and who wants the answer. */
export interface QueuedEntry {
  id: string;
  owner: string;
  group: CommandGroup;
  at: number;
}

/** A rejection on its way back: a DeliveryError's fields. */
export interface AnswerError {
  reason: DeliveryFailure;
  lastError: CrmErrorInfo;
  attempts: number;
  retryAfterMs?: number;
}

/** An answer on its way back: results, or the rejection. */
export type AnswerMessage = { id: string; results: CommandResult[] } | { id: string; error: AnswerError };

export function encodeEntry(entry: QueuedEntry): string {
  return `${entry.id}\n${JSON.stringify(entry)}`;
}

export function decodeEntry(text: string): QueuedEntry {
  return JSON.parse(text.slice(text.indexOf("\n") + 1)) as QueuedEntry;
}

export function answerError(err: DeliveryError): AnswerError {
  const out: AnswerError = { reason: err.reason, lastError: err.lastError, attempts: err.attempts };
  if (err.retryAfterMs !== undefined) out.retryAfterMs = err.retryAfterMs;
  return out;
}

interface Waiting {
  entry: string;
  resolve: (results: CommandResult[]) => void;
  reject: (err: Error) => void;
  /** Consecutive watchdog rounds that found no trace of the group. */
  gone: number;
}

/** After this many watchdog rounds without a trace (and no answer), the group counts as lost. */
const GONE_ROUNDS = 3;

export class SharedQueue {
  private readonly waiting = new Map<string, Waiting>();
  private seq = 0;
  private stopped = false;
  private readonly reading: Promise<void>;
  private readonly watch: NodeJS.Timeout;

  constructor(private readonly deps: SharedQueueDeps) {
    this.reading = this.readAnswers();
    this.watch = setInterval(() => void this.recover().catch(() => undefined), deps.watchMs);
    this.watch.unref();
  }

  /** Groups given to the queue and not answered yet. */
  pending(): number {
    return this.waiting.size;
  }

  submit(group: CommandGroup): Promise<CommandResult[]> {
    const id = `${this.deps.owner}#${this.seq++}`;
    const entry = encodeEntry({ id, owner: this.deps.owner, group, at: Date.now() });
    return new Promise<CommandResult[]>((resolve, reject) => {
      this.waiting.set(id, { entry, resolve, reject, gone: 0 });
      const { keys } = this.deps;
      this.deps.redis
        .eval(SUBMIT, 3, keys.queue, keys.wake, keys.groups, id, entry, "tail")
        .catch((err: unknown) => {
          // Not queued: nothing was sent.
          this.waiting.delete(id);
          reject(new DeliveryError("internal_error", infoOf(err), 0));
        });
    });
  }

  /**
   * Answers arrive on the owner's list: a blocking read with a short timeout, then whatever else
   * waits in one go (a batch answers up to 50 groups at once), until stopped.
   */
  private async readAnswers(): Promise<void> {
    const key = this.deps.keys.results(this.deps.owner);
    while (!this.stopped) {
      let texts: string[];
      try {
        const popped = await this.deps.blocking.blpop(key, 1);
        if (!popped) continue;
        texts = [popped[1], ...((await this.deps.blocking.lpop(key, 500)) ?? [])];
      } catch {
        if (this.stopped) return;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      for (const text of texts) this.settle(JSON.parse(text) as AnswerMessage);
    }
  }

  private settle(message: AnswerMessage): void {
    const waiting = this.waiting.get(message.id);
    if (!waiting) return; // settled already (taken back as lost, or cancelled)
    this.waiting.delete(message.id);
    if ("results" in message) return waiting.resolve(message.results);
    const e = message.error;
    waiting.reject(new DeliveryError(e.reason, e.lastError, e.attempts, e.retryAfterMs));
  }

  /** The watchdog: groups of a sender that is gone are put back or, if sent, rejected as ambiguous. */
  async recover(): Promise<void> {
    if (this.waiting.size === 0) return;
    const ids = [...this.waiting.keys()];
    const args = ids.flatMap((id) => [id, this.waiting.get(id)!.entry]);
    const { keys } = this.deps;
    const states = (await this.deps.redis.eval(
      RECOVER,
      5,
      keys.groups,
      keys.sender,
      keys.queue,
      keys.wake,
      keys.results(this.deps.owner),
      ...args,
    )) as string[];
    ids.forEach((id, i) => {
      const w = this.waiting.get(id);
      if (!w) return;
      const state = states[i];
      if (state !== "answering") w.gone = state === "gone" ? w.gone + 1 : 0;
      if (state === "requeued")
        this.deps.logger?.warn({ group: id }, "sender gone: group put back in the queue");
      if (state === "lost" || w.gone >= GONE_ROUNDS) {
        this.waiting.delete(id);
        this.deps.logger?.warn({ group: id, state }, "sender gone after sending: the group may have run");
        w.reject(
          new DeliveryError(
            "ambiguous",
            {
              code: "SENDER_LOST",
              description: "the process sending this batch stopped before its answer came back",
              retryable: true,
            },
            1,
          ),
        );
      }
    });
  }

  /**
   * Stops: groups not sent yet are taken back and rejected `closed` (nothing ran); groups a sender
   * already sent are rejected `ambiguous`. Call after waiting for answers as long as wanted.
   */
  async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.watch);
    const ids = [...this.waiting.keys()];
    if (ids.length > 0) {
      const { keys } = this.deps;
      const args = ids.flatMap((id) => [id, this.waiting.get(id)!.entry]);
      const states = (await this.deps.redis
        .eval(CANCEL, 2, keys.groups, keys.queue, ...args)
        .catch(() => ids.map(() => "sent"))) as string[];
      ids.forEach((id, i) => {
        const w = this.waiting.get(id)!;
        this.waiting.delete(id);
        const cancelled = states[i] === "cancelled";
        w.reject(
          new DeliveryError(
            cancelled ? "closed" : "ambiguous",
            {
              code: cancelled ? "CLOSED" : "CLOSED_AFTER_SEND",
              description: cancelled
                ? "delivery closed before the group was sent"
                : "delivery closed while the group's batch was on its way",
              retryable: true,
            },
            0,
          ),
        );
      });
    }
    this.deps.blocking.disconnect();
    await this.reading.catch(() => undefined);
  }
}

function infoOf(err: unknown): CrmErrorInfo {
  return {
    code: "QUEUE_UNAVAILABLE",
    description: err instanceof Error ? err.message : String(err),
    retryable: true,
  };
}
