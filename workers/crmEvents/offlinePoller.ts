import type { Redis } from "ioredis";
import type { Config } from "../../core/config/schema.ts";
import {
  CRM_EVENT_STREAM_MAXLEN,
  encodeStreamedEvent,
  type StreamedCrmEvent,
} from "../../core/crm/crmEventStream.ts";
import { throttledErrorLog } from "../../core/logging/processGuards.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { CrmDelivery } from "../delivery/types.ts";

/** The poll's group label in the delivery pipeline (it rides in the interactive lane: a user waits). */
const POLL_GROUP = "crmevents:offline";

export interface OfflinePollerDeps {
  config: Pick<Config, "events">;
  delivery: Pick<CrmDelivery, "send">;
  redis: Redis;
  keys: Pick<RedisKeys, "crmEventStream" | "crmEventPollLock">;
  metrics: Metrics;
  logger: Logger;
}

/**
 * Closed networks (no inbound connection from the portal): one worker at a time (Redis lock) asks
 * `event.offline.get` every `events.offlinePollMs` through the delivery pipeline — the shared rate
 * budget, usually in the same batch as call commands — and appends each event to the Redis stream the
 * app reads (`keys.crmEventStream`). The app never talks to Bitrix24; the workers never act on events.
 *
 * `clear=1` (the method's default): the portal forgets what it returned. An answer lost on the way
 * (a timeout after the portal ran it, a worker killed between the answer and the XADD) loses those
 * events; the app's dedupe makes any re-delivery harmless. With `clear=0` + `event.offline.clear` the
 * portal keeps a marked entry that `event.offline.get` never returns again, which loses it just the same.
 */
export class OfflineEventPoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly warn: (err: Error) => void;
  private readonly owner = `${process.pid}:${Math.random().toString(36).slice(2)}`;

  constructor(private readonly deps: OfflinePollerDeps) {
    this.warn = throttledErrorLog(deps.logger, "offline events: poll failed", 30_000);
  }

  start(): void {
    const tick = () => {
      this.running = this.pollOnce()
        .then(() => undefined)
        .catch((err: Error) => this.warn(err))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.deps.config.events.offlinePollMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    const timer = this.timer;
    this.timer = undefined;
    clearTimeout(timer);
    await this.running;
  }

  /** One poll round; returns how many events were handed to the app (0 when another worker polls). */
  async pollOnce(): Promise<number> {
    const { redis, keys, config, delivery } = this.deps;
    const lockMs = Math.max(5000, config.events.offlinePollMs * 3);
    const locked = await redis.set(keys.crmEventPollLock, this.owner, "PX", lockMs, "NX");
    if (locked !== "OK" && (await redis.get(keys.crmEventPollLock)) !== this.owner) return 0;
    const [result] = await delivery.send({
      callId: POLL_GROUP,
      lane: "interactive",
      commands: [
        { method: "event.offline.get", params: { clear: 1, limit: config.events.offlinePollLimit } },
      ],
    });
    if (!result?.ok)
      throw new Error(`event.offline.get: ${result?.error.code}: ${result?.error.description}`);
    const events = offlineEventsOf(result.result);
    for (const event of events) {
      await redis.xadd(
        keys.crmEventStream,
        "MAXLEN",
        "~",
        String(CRM_EVENT_STREAM_MAXLEN),
        "*",
        "event",
        encodeStreamedEvent(event),
      );
    }
    if (events.length > 0) {
      this.deps.logger.info({ events: events.length }, "offline events handed to the app");
      void this.deps.metrics.count("events.offlinePolled", events.length);
    }
    return events.length;
  }
}

/** `{process_id, events: [{EVENT_NAME, EVENT_DATA, MESSAGE_ID, TIMESTAMP_X, …}]}` → stream entries. */
export function offlineEventsOf(result: unknown): StreamedCrmEvent[] {
  const list = (result as { events?: unknown } | null)?.events;
  if (!Array.isArray(list)) return [];
  const out: StreamedCrmEvent[] = [];
  for (const raw of list as Record<string, unknown>[]) {
    if (typeof raw?.EVENT_NAME !== "string") continue;
    const data = typeof raw.EVENT_DATA === "object" && raw.EVENT_DATA !== null ? raw.EVENT_DATA : {};
    const event: StreamedCrmEvent = {
      name: raw.EVENT_NAME.toUpperCase(),
      data: data as Record<string, unknown>,
      source: "offline",
    };
    if (typeof raw.MESSAGE_ID === "string") event.messageId = raw.MESSAGE_ID;
    if (typeof raw.TIMESTAMP_X === "string") event.at = raw.TIMESTAMP_X;
    out.push(event);
  }
  return out;
}
