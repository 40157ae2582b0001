import type { Redis } from "ioredis";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { BitrixEvent } from "../http/types.ts";
import { randomUUID } from "node:crypto";
import { EventNotTaken, type CrmEventRegistry, type CrmEventSource, type CrmEventTake } from "./registry.ts";

/** How long a taken event is remembered: far longer than any re-delivery (offline queue, a replayed POST). */
export const SEEN_TTL_SEC = 24 * 3600;

export type IntakeOutcome = "handled" | "duplicate" | "unhandled" | "failed" | "unavailable";

export interface CrmEventIntakeDeps {
  redis: Redis;
  keys: Pick<RedisKeys, "crmEventSeen">;
  registry: CrmEventRegistry;
  metrics: Metrics;
  logger: Logger;
  /** Budget of the dedupe write (a hung Redis must not hold an event for ever). */
  redisTimeoutMs?: number;
}

/**
 * Every verified Bitrix24 event, online or offline, goes through here: counted by name, deduplicated
 * durably in Redis by the handler's key (the portal's CALL_ID), then dispatched to the registered
 * handler. Without Redis an event cannot be deduplicated, and nothing it would start could be made
 * durable: it is not taken (`unavailable`, logged) — nothing rings, and the caller offers it again
 * later with the same take id (the dedupe mark holds it: an own earlier offer is not a duplicate).
 */
export class CrmEventIntake {
  constructor(private readonly deps: CrmEventIntakeDeps) {}

  async accept(
    event: BitrixEvent,
    source: CrmEventSource,
    take: CrmEventTake = { id: randomUUID(), receivedAt: Date.now() },
  ): Promise<IntakeOutcome> {
    const { registry, metrics, logger } = this.deps;
    const log = logger.child({ event: event.name, source });
    void metrics.count(`events.${event.name}`);
    const handler = registry.handlerFor(event.name);
    if (!handler) {
      log.info("Bitrix24 event without a handler; ignored");
      void metrics.count("events.unhandled");
      return "unhandled";
    }
    const key = handler.dedupeKey ? handler.dedupeKey(event) : callIdOf(event);
    if (key !== undefined) {
      const fresh = await this.markSeen(`${event.name}:${key}`, take.id).catch((err: Error) => err);
      if (fresh instanceof Error) {
        log.error({ dedupeKey: key, err: fresh.message }, "Bitrix24 event not taken: Redis unavailable");
        void metrics.count("events.refused");
        return "unavailable";
      }
      if (!fresh) {
        log.info({ dedupeKey: key }, "Bitrix24 event delivered again; ignored");
        void metrics.count("events.duplicate");
        return "duplicate";
      }
    }
    const mark = key === undefined ? undefined : `${event.name}:${key}`;
    const commit = () => (mark === undefined ? Promise.resolve() : this.commitSeen(mark, take.id));
    try {
      await handler.handle(event, source, { ...take, commit });
      await commit();
      return "handled";
    } catch (err) {
      if (err instanceof EventNotTaken) {
        log.error({ dedupeKey: key, err: err.message }, "Bitrix24 event not taken yet: nothing rang");
        void metrics.count("events.refused");
        return "unavailable";
      }
      await commit();
      log.error({ dedupeKey: key, err: (err as Error).message }, "Bitrix24 event handler failed");
      void metrics.count("events.failed");
      return "failed";
    }
  }

  /** The mark says done: no take of this event is fresh any more. */
  private async commitSeen(key: string, takeId: string): Promise<void> {
    const { redis, keys } = this.deps;
    await redis
      .set(keys.crmEventSeen(key), `done:${takeId}`, "EX", SEEN_TTL_SEC, "XX")
      .then(() => undefined)
      .catch(() => undefined);
  }

  /** SET NX with the take id: true the first time a key is seen, or when this take marked it before. */
  private async markSeen(key: string, takeId: string): Promise<boolean> {
    const { redis, keys } = this.deps;
    const mark = keys.crmEventSeen(key);
    const write = redis
      .set(mark, takeId, "EX", SEEN_TTL_SEC, "NX")
      .then(async (set) => set === "OK" || (await redis.get(mark)) === takeId);
    const ms = this.deps.redisTimeoutMs ?? 1500;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Redis in ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([write, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

export function callIdOf(event: BitrixEvent): string | undefined {
  const id = event.data.CALL_ID;
  return typeof id === "string" && id !== "" ? id : undefined;
}
