import type { Redis } from "ioredis";
import {
  managerFromSearch,
  parseLookupRequest,
  type LookupReply,
  type LookupRequest,
  type ManagerLookup,
} from "../../core/crmLookup/protocol.ts";
import type { Config } from "../../core/config/schema.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { CrmDelivery } from "../delivery/types.ts";

export const SEARCH_METHOD = "telephony.externalcall.searchCrmEntities";

export interface LookupResponderDeps {
  config: Pick<Config, "routing">;
  redis: Redis;
  keys: Pick<RedisKeys, "crmLookupRequests" | "crmLookupReplies" | "crmLookupCache">;
  delivery: CrmDelivery;
  logger: Logger;
  metrics?: Metrics;
  now?: () => number;
}

/** How long one blocking pop waits before the loop looks at `closed` again. */
const POP_WAIT_SEC = 1;

/**
 * Answers the app's CRM lookups (manager-first routing): pops requests, asks the portal
 * (`searchCrmEntities`, interactive lane, through the shared limiter), caches the answer per number
 * and publishes it. Every worker process runs one; a request is taken by exactly one of them.
 */
export class LookupResponder {
  private closed = false;
  private loop: Promise<void> | undefined;
  private readonly blocking: Redis;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly now: () => number;

  constructor(private readonly deps: LookupResponderDeps) {
    this.blocking = deps.redis.duplicate();
    this.blocking.on("error", (err: Error) => deps.logger.debug({ err: err.message }, "lookup redis"));
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.blocking.disconnect();
    await this.loop?.catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      let popped: [string, string] | null = null;
      try {
        popped = await this.blocking.brpop(this.deps.keys.crmLookupRequests, POP_WAIT_SEC);
      } catch (err) {
        if (this.closed) return;
        this.deps.logger.debug({ err: (err as Error).message }, "lookup pop failed; retrying");
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      const request = popped ? parseLookupRequest(popped[1]) : undefined;
      if (popped && !request) this.deps.logger.warn("malformed CRM lookup request dropped");
      if (!request) continue;
      const task = this.answer(request).finally(() => this.inFlight.delete(task));
      this.inFlight.add(task);
    }
  }

  /** Answers one request; never throws (an error is the answer). */
  async answer(request: LookupRequest): Promise<void> {
    const log = this.deps.logger.child({ lookupId: request.id });
    if (this.now() > request.deadline) {
      log.info({ lateMs: this.now() - request.deadline }, "CRM lookup dropped: its caller no longer waits");
      void this.deps.metrics?.count("crmLookup.expired");
      return;
    }
    const reply: LookupReply = { id: request.id, number: request.number };
    try {
      reply.result = await this.lookup(request);
      void this.deps.metrics?.count(reply.result.found ? "crmLookup.found" : "crmLookup.notFound");
    } catch (err) {
      reply.error = (err as Error).message;
      log.warn({ err: reply.error }, "CRM lookup failed");
      void this.deps.metrics?.count("crmLookup.failed");
    }
    await this.deps.redis
      .publish(this.deps.keys.crmLookupReplies, JSON.stringify(reply))
      .catch((err: Error) => log.warn({ err: err.message }, "CRM lookup answer not published"));
  }

  private async lookup(request: LookupRequest): Promise<ManagerLookup> {
    const { redis, keys, delivery, config } = this.deps;
    const cacheKey = keys.crmLookupCache(request.number);
    const cached = await redis.get(cacheKey);
    if (cached) return JSON.parse(cached) as ManagerLookup;
    const [answer] = await delivery.send({
      callId: `lookup:${request.id}`,
      lane: "interactive",
      commands: [{ method: SEARCH_METHOD, params: { PHONE_NUMBER: request.number } }],
    });
    if (!answer || !answer.ok) throw new Error(answer ? answer.error.code : "no answer");
    const result = managerFromSearch(answer.result);
    const { cacheTtlSec, missCacheTtlSec } = config.routing.managerLookup;
    const ttl = result.found ? cacheTtlSec : missCacheTtlSec;
    if (ttl > 0) await redis.set(cacheKey, JSON.stringify(result), "EX", ttl);
    return result;
  }
}
