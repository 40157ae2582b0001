import type { Redis } from "ioredis";
import type { Logger } from "../../core/logging/logger.ts";
import type { QueuedGroup } from "./batchBuilder.ts";
import type { DeliveryError } from "./deliveryError.ts";
import type { MicroBatcher } from "./microBatcher.ts";
import { ANSWER, GIVE_BACK, MARK_SENT, PULL, RELEASE, RENEW } from "./queueScripts.ts";
import { answerError, decodeEntry, type AnswerMessage, type QueueKeys } from "./sharedQueue.ts";
import type { CommandResult } from "./types.ts";

/**
 * The one process of the cluster that sends a portal's batches: whoever holds the sender lease (SET
 * NX PX, renewed) takes every group of the shared queue into its micro-batcher (interactive lane
 * first, the cluster limiter, parallel batches, `$result[]` references: all as before), and hands
 * each answer to the group's owner. Right before every attempt the groups of the batch are fenced
 * (MARK_SENT): only those still this sender's, while it holds the lease, are sent. A sender that
 * loses its lease gives back what it took and never sent; its owners' watchdogs do the same if it
 * died.
 */

export interface PortalSenderDeps {
  redis: Redis;
  /** A connection of its own for the blocking wait on the wake list. */
  blocking: Redis;
  keys: QueueKeys;
  id: string;
  leaseMs: number;
  /** The batcher that sends, built with this sender's `claim`. */
  batcher: (claim: (groups: QueuedGroup[]) => Promise<QueuedGroup[]>) => MicroBatcher;
  /** Groups taken into the batcher at most (the rest waits in Redis). */
  maxTaken?: number;
  /** How long an owner's answers list lives unread (a dead owner's answers expire). */
  answerTtlMs?: number;
  logger?: Logger;
}

interface Taken {
  id: string;
  text: string;
  owner: string;
}

export class PortalSender {
  readonly batcher: MicroBatcher;
  private leading = false;
  private stopped = false;
  private renewTimer: NodeJS.Timeout | undefined;
  private readonly taken = new Map<string, Taken>();
  private readonly loop: Promise<void>;

  constructor(private readonly deps: PortalSenderDeps) {
    this.batcher = deps.batcher((groups) => this.claim(groups));
    this.loop = this.run();
  }

  /** True while this process holds the sender lease. */
  isSender(): boolean {
    return this.leading;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.leading && !(await this.tryLead())) {
          await sleep(Math.max(50, Math.floor(this.deps.leaseMs / 3)));
          continue;
        }
        await this.deps.blocking.blpop(this.deps.keys.wake, 1);
        if (this.leading && !this.stopped) await this.pull();
      } catch (err) {
        if (this.stopped) return;
        this.deps.logger?.warn({ err: String(err) }, "delivery sender: Redis error, retrying");
        await sleep(200);
      }
    }
  }

  private async tryLead(): Promise<boolean> {
    const { redis, keys, id, leaseMs } = this.deps;
    if ((await redis.set(keys.sender, id, "PX", leaseMs, "NX")) !== "OK") return false;
    this.leading = true;
    this.renewTimer = setInterval(() => void this.renew(), Math.max(50, Math.floor(leaseMs / 3)));
    this.deps.logger?.info({ sender: id }, "this process now sends the portal's batches");
    return true;
  }

  private async renew(): Promise<void> {
    const { redis, keys, id, leaseMs } = this.deps;
    const kept = await redis.eval(RENEW, 1, keys.sender, id, leaseMs).catch(() => 0);
    if (Number(kept) !== 1 && this.leading) await this.stepDown("lease lost");
  }

  private async stepDown(why: string): Promise<void> {
    this.leading = false;
    clearInterval(this.renewTimer);
    const back = this.batcher.takeQueued();
    const given = await this.giveBack(back);
    this.deps.logger?.warn({ why, givenBack: given }, "this process no longer sends the portal's batches");
  }

  private async pull(): Promise<void> {
    const { redis, keys, id } = this.deps;
    const room = (this.deps.maxTaken ?? 5_000) - this.batcher.queuedGroups();
    if (room <= 0) return;
    const entries = (await redis.eval(PULL, 3, keys.queue, keys.groups, keys.sender, id, room)) as string[];
    for (const text of entries) {
      const entry = decodeEntry(text);
      this.taken.set(entry.id, { id: entry.id, text, owner: entry.owner });
      this.batcher.add(
        entry.group,
        {
          resolve: (results: CommandResult[]) => void this.answer(entry.id, { id: entry.id, results }),
          reject: (err: Error) =>
            void this.answer(entry.id, { id: entry.id, error: answerError(err as DeliveryError) }),
        },
        Date.now(), // the batch wait counts from here: the trip through Redis is not waiting time
        entry.id,
      );
    }
  }

  /** The fence before each attempt: the groups this sender may still send, marked sent. */
  private async claim(groups: QueuedGroup[]): Promise<QueuedGroup[]> {
    const { redis, keys, id } = this.deps;
    const ids = groups.map((q) => q.tag ?? "");
    const flags = (await redis.eval(MARK_SENT, 2, keys.groups, keys.sender, id, ...ids)) as number[];
    const kept = groups.filter((_, i) => Number(flags[i]) === 1);
    if (kept.length < groups.length) {
      this.deps.logger?.warn(
        { dropped: groups.length - kept.length },
        "groups taken back by their owners or this sender's lease lost: left out of the batch",
      );
      for (const q of groups) if (!kept.includes(q) && q.tag) this.taken.delete(q.tag);
    }
    return kept;
  }

  private async answer(groupId: string, message: AnswerMessage): Promise<void> {
    const taken = this.taken.get(groupId);
    this.taken.delete(groupId);
    if (!taken) return;
    const { redis, keys, id } = this.deps;
    await redis
      .eval(
        ANSWER,
        2,
        keys.groups,
        keys.results(taken.owner),
        id,
        groupId,
        JSON.stringify(message),
        this.deps.answerTtlMs ?? 3_600_000,
      )
      .catch((err: unknown) =>
        this.deps.logger?.error({ group: groupId, err: String(err) }, "answer could not be handed back"),
      );
  }

  private async giveBack(groups: QueuedGroup[]): Promise<number> {
    const list = groups.flatMap((q) => {
      const t = q.tag ? this.taken.get(q.tag) : undefined;
      if (t) this.taken.delete(t.id);
      return t ? [t.id, t.text] : [];
    });
    if (list.length === 0) return 0;
    const { redis, keys, id } = this.deps;
    const n = await redis.eval(GIVE_BACK, 3, keys.groups, keys.queue, keys.wake, id, ...list);
    return Number(n);
  }

  /**
   * Stops taking groups; what is taken but not sent goes back to the queue (another process sends
   * it), batches in flight get `graceMs` to finish; then the lease is released.
   */
  async close(graceMs: number): Promise<void> {
    this.stopped = true;
    this.batcher.flush();
    const deadline = Date.now() + graceMs;
    while (this.batcher.inFlightBatches() > 0 && Date.now() < deadline) {
      await Promise.race([...this.batcher.runningBatches(), sleep(50)]);
    }
    clearInterval(this.renewTimer);
    await this.giveBack(this.batcher.takeQueued()).catch(() => 0);
    if (this.leading) {
      await this.deps.redis.eval(RELEASE, 1, this.deps.keys.sender, this.deps.id).catch(() => 0);
      this.leading = false;
    }
    this.deps.blocking.disconnect();
    await this.loop.catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
