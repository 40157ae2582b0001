import type { Redis } from "ioredis";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { BitrixEvent } from "../http/types.ts";
import type { CrmEventRegistry, CrmEventSource } from "./registry.ts";

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
 * durable: it is refused (`unavailable`, logged and counted) — nothing rings.
 */
export class CrmEventIntake {
  constructor(private readonly deps: CrmEventIntakeDeps) {}

  async accept(event: BitrixEvent, source: CrmEventSource): Promise<IntakeOutcome> {
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
      const fresh = await this.markSeen(`${event.name}:${key}`).catch((err: Error) => err);
      if (fresh instanceof Error) {
        log.error({ dedupeKey: key, err: fresh.message }, "Bitrix24 event refused: Redis unavailable");
        void metrics.count("events.refused");
        return "unavailable";
      }
      if (!fresh) {
        log.info({ dedupeKey: key }, "Bitrix24 event delivered again; ignored");
        void metrics.count("events.duplicate");
        return "duplicate";
      }
    }
    try {
      await handler.handle(event, source);
      return "handled";
    } catch (err) {
      log.error({ dedupeKey: key, err: (err as Error).message }, "Bitrix24 event handler failed");
      void metrics.count("events.failed");
      return "failed";
    }
  }

  /** SET NX: true the first time a key is seen. */
  private async markSeen(key: string): Promise<boolean> {
    const { redis, keys } = this.deps;
    const write = redis.set(keys.crmEventSeen(key), String(Date.now()), "EX", SEEN_TTL_SEC, "NX");
    const ms = this.deps.redisTimeoutMs ?? 1500;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Redis in ${ms} ms`)), ms);
    });
    try {
      return (await Promise.race([write, timeout])) === "OK";
    } finally {
      clearTimeout(timer);
    }
  }
}

export function callIdOf(event: BitrixEvent): string | undefined {
  const id = event.data.CALL_ID;
  return typeof id === "string" && id !== "" ? id : undefined;
}
