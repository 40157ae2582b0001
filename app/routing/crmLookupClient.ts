import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import {
  LOOKUP_QUEUE_MAX,
  parseLookupReply,
  type CrmLookups,
  type LookupOutcome,
  type LookupRequest,
  type ManagerLookup,
} from "../../core/crmLookup/protocol.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";

/**
 * The app's side of the CRM lookup (core/crmLookup/protocol.ts): a cached answer, else a request to
 * the workers, answered on a pub/sub channel. Whatever happens — no worker, Redis away or hung, a
 * slow portal — `lookup` resolves within `timeoutMs` (plus a timer's slack): a caller never waits for
 * the CRM longer than that.
 */
export class RedisCrmLookups implements CrmLookups {
  private readonly pending = new Map<string, (lookup: ManagerLookup | string) => void>();
  private readonly subscriber: Redis;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Pick<RedisKeys, "crmLookupRequests" | "crmLookupReplies" | "crmLookupCache">,
    private readonly logger: Logger,
  ) {
    this.subscriber = redis.duplicate();
    this.subscriber.on("error", (err: Error) => logger.debug({ err: err.message }, "lookup subscriber"));
    this.subscriber.on("message", (_channel: string, raw: string) => this.onReply(raw));
    this.subscriber.subscribe(keys.crmLookupReplies).catch((err: Error) => {
      logger.warn({ err: err.message }, "CRM lookup answers not subscribed (ioredis re-subscribes)");
    });
  }

  async lookup(number: string, timeoutMs: number): Promise<LookupOutcome> {
    const started = Date.now();
    const id = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<LookupOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ kind: "timeout", ms: Date.now() - started }), timeoutMs);
    });
    try {
      return await Promise.race([this.ask(id, number, started + timeoutMs, started), late]);
    } catch (err) {
      return { kind: "error", error: (err as Error).message, ms: Date.now() - started };
    } finally {
      clearTimeout(timer);
      this.pending.delete(id);
    }
  }

  close(): void {
    this.subscriber.disconnect();
    this.pending.clear();
  }

  private async ask(id: string, number: string, deadline: number, started: number): Promise<LookupOutcome> {
    const cached = await this.redis.get(this.keys.crmLookupCache(number));
    if (cached) {
      return { kind: "answer", lookup: JSON.parse(cached) as ManagerLookup, source: "cache", ms: 0 };
    }
    const answered = new Promise<ManagerLookup | string>((resolve) => this.pending.set(id, resolve));
    const request: LookupRequest = { id, number, deadline };
    await this.redis
      .multi()
      .lpush(this.keys.crmLookupRequests, JSON.stringify(request))
      .ltrim(this.keys.crmLookupRequests, 0, LOOKUP_QUEUE_MAX - 1)
      .exec();
    const answer = await answered;
    const ms = Date.now() - started;
    if (typeof answer === "string") return { kind: "error", error: answer, ms };
    return { kind: "answer", lookup: answer, source: "worker", ms };
  }

  private onReply(raw: string): void {
    const reply = parseLookupReply(raw);
    if (!reply) return this.logger.warn("malformed CRM lookup answer ignored");
    const resolve = this.pending.get(reply.id);
    if (!resolve) return; // another app's request, or one whose caller went on already
    resolve(reply.result ?? reply.error ?? "empty answer");
  }
}
