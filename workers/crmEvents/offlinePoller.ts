import type { Redis } from "ioredis";
import type { Config } from "../../core/config/schema.ts";
import {
  CRM_EVENT_STREAM_MAXLEN,
  encodeStreamedEvent,
  type StreamedCrmEvent,
} from "../../core/crm/crmEventStream.ts";
import {
  OFFLINE_POLL_COMPONENT,
  OfflinePollHealth,
  type PollTransition,
} from "../../core/crm/offlinePollHealth.ts";
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
  keys: Pick<RedisKeys, "crmEventStream" | "crmEventPollLock" | "heartbeats">;
  metrics: Metrics;
  logger: Logger;
}

/**
 * Closed networks (no inbound connection from the portal): one worker at a time (Redis lock) asks
 * `event.offline.get` every `events.offlinePollMs` through the delivery pipeline — the shared rate
 * budget, usually in the same batch as call commands — and appends each event to the Redis stream the
 * app reads (`keys.crmEventStream`). The app never talks to Bitrix24; the workers never act on events.
 *
 * No poll starts without Redis (the lock comes first), so events wait at the portal while Redis is
 * away. Events the portal handed over are kept in memory until the stream has them (Redis gone between
 * the answer and the XADD): no new poll runs before they are in. A failing poll backs off and is
 * logged once per spell (`core/crm/offlinePollHealth.ts`); its state is published for `/status`.
 *
 * `clear=1` (the method's default): the portal forgets what it returned. An answer lost on the way
 * (a timeout after the portal ran it, a worker killed between the answer and the XADD) loses those
 * events; the app's dedupe makes any re-delivery harmless. With `clear=0` + `event.offline.clear` the
 * portal keeps a marked entry that `event.offline.get` never returns again, which loses it just the same.
 */
export class OfflineEventPoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly owner = `${process.pid}:${Math.random().toString(36).slice(2)}`;
  private readonly health: OfflinePollHealth;
  /** Taken from the portal, not yet in the stream. */
  private held: StreamedCrmEvent[] = [];

  constructor(private readonly deps: OfflinePollerDeps) {
    this.health = new OfflinePollHealth(deps.config.events.offlinePollMs);
  }

  start(): void {
    const tick = () => {
      this.running = this.pollOnce()
        .then(async (polled) => {
          if (polled === undefined) return; // another worker polls: its state is the one to show
          this.report(this.health.ok(Date.now()));
          await this.publish();
        })
        .catch(async (err: Error) => {
          this.report(this.health.failed(err.message, Date.now()));
          await this.publish();
        })
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.health.delayMs());
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

  /** One poll round: how many events were handed to the app; undefined when another worker polls. */
  async pollOnce(): Promise<number | undefined> {
    const { redis, keys, config, delivery } = this.deps;
    if (this.held.length > 0) return this.append();
    const lockMs = Math.max(5000, config.events.offlinePollMs * 3);
    const locked = await redis.set(keys.crmEventPollLock, this.owner, "PX", lockMs, "NX");
    if (locked !== "OK" && (await redis.get(keys.crmEventPollLock)) !== this.owner) return undefined;
    const [result] = await delivery.send({
      callId: POLL_GROUP,
      lane: "interactive",
      commands: [
        { method: "event.offline.get", params: { clear: 1, limit: config.events.offlinePollLimit } },
      ],
    });
    if (!result?.ok)
      throw new Error(`event.offline.get: ${result?.error.code}: ${result?.error.description}`);
    this.held = offlineEventsOf(result.result);
    return this.append();
  }

  /** Appends the held events in order; one that Redis does not take stays held (and the rest after it). */
  private async append(): Promise<number> {
    const { redis, keys } = this.deps;
    const count = this.held.length;
    while (this.held.length > 0) {
      await redis.xadd(
        keys.crmEventStream,
        "MAXLEN",
        "~",
        String(CRM_EVENT_STREAM_MAXLEN),
        "*",
        "event",
        encodeStreamedEvent(this.held[0]!),
      );
      this.held.shift();
    }
    if (count > 0) {
      this.deps.logger.info({ events: count }, "offline events handed to the app");
      void this.deps.metrics.count("events.offlinePolled", count);
    }
    return count;
  }

  private report(transition: PollTransition | undefined): void {
    const { logger, metrics } = this.deps;
    if (transition?.kind === "spellStarted") {
      logger.warn(
        { err: transition.error, held: this.held.length },
        "offline events: poll failed; backing off until it works again (logged once per spell)",
      );
      void metrics.count("events.offlinePollSpells");
    } else if (transition?.kind === "spellEnded") {
      logger.info({ awaySec: Math.round(transition.awayMs / 1000) }, "offline events: polling again");
    }
  }

  /** Best effort: `/status` reads it from the heartbeats (Redis away: nothing to read it from anyway). */
  private async publish(): Promise<void> {
    const view = { ...this.health.view(this.held.length), at: Date.now() };
    await this.deps.redis
      .hset(this.deps.keys.heartbeats, OFFLINE_POLL_COMPONENT, JSON.stringify(view))
      .catch(() => undefined);
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
