import type { Redis } from "ioredis";
import { CRM_EVENT_GROUP, decodeStreamedEvent } from "../../core/crm/crmEventStream.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { CrmEventIntake } from "./intake.ts";

type StreamEntries = [id: string, fields: string[]][];
type ReadReply = [stream: string, entries: StreamEntries][] | null;

/**
 * The app's side of offline events: reads the stream the workers' poller fills (`keys.crmEventStream`)
 * with a consumer group and acknowledges each entry once the intake took it (handled, a duplicate,
 * unhandled or malformed). An entry the intake could not take (Redis unavailable) stays pending and
 * is read again; an app that died with entries pending reads them first after its restart.
 */
export class OfflineEventReader {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly connection: Redis;
  private readonly consumer: string;

  constructor(
    private readonly deps: {
      redis: Redis;
      keys: Pick<RedisKeys, "crmEventStream">;
      intake: CrmEventIntake;
      logger: Logger;
      /** Consumer name in the group (one per app process). */
      consumer: string;
      blockMs?: number;
    },
  ) {
    // XREADGROUP BLOCK holds its connection: a connection of its own.
    this.connection = deps.redis.duplicate();
    this.connection.on("error", () => undefined);
    this.consumer = deps.consumer;
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.connection.disconnect();
    await this.loop?.catch(() => undefined);
  }

  private async run(): Promise<void> {
    let pendingFirst = true;
    while (!this.stopped) {
      try {
        await this.ensureGroup();
        const read = await this.read(pendingFirst ? "0" : ">");
        const entries = read?.[0]?.[1] ?? [];
        if (pendingFirst && entries.length === 0) pendingFirst = false;
        const retry = await this.take(entries);
        if (retry) pendingFirst = true;
        if (retry) await sleep(1000);
      } catch (err) {
        if (this.stopped) return;
        this.deps.logger.warn({ err: (err as Error).message }, "offline event stream: read failed; retrying");
        await sleep(1000);
      }
    }
  }

  private groupReady = false;

  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      await this.connection.xgroup("CREATE", this.deps.keys.crmEventStream, CRM_EVENT_GROUP, "0", "MKSTREAM");
    } catch (err) {
      if (!/BUSYGROUP/.test((err as Error).message)) throw err;
    }
    this.groupReady = true;
  }

  private read(from: string): Promise<ReadReply> {
    const stream = this.deps.keys.crmEventStream;
    const block = from === ">" ? ["BLOCK", String(this.deps.blockMs ?? 1000)] : [];
    return this.connection.call(
      "XREADGROUP",
      "GROUP",
      CRM_EVENT_GROUP,
      this.consumer,
      "COUNT",
      "20",
      ...block,
      "STREAMS",
      stream,
      from,
    ) as Promise<ReadReply>;
  }

  /** Hands entries to the intake in order; true when one has to be read again later. */
  private async take(entries: StreamEntries): Promise<boolean> {
    const stream = this.deps.keys.crmEventStream;
    for (const [id, fields] of entries) {
      const raw = fields[fields.indexOf("event") + 1];
      const event = decodeStreamedEvent(fields.includes("event") ? raw : undefined);
      if (!event) {
        this.deps.logger.warn({ entry: id }, "offline event stream: malformed entry; dropped");
      } else {
        // The entry id is the take: an entry read again after "unavailable" is not its own duplicate.
        const take = { id: `stream:${id}`, receivedAt: Number(id.split("-")[0]) };
        const outcome = await this.deps.intake.accept(
          { name: event.name, data: event.data },
          "offline",
          take,
        );
        if (outcome === "unavailable") return true;
      }
      await this.connection.xack(stream, CRM_EVENT_GROUP, id);
    }
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
