import type { Redis } from "ioredis";
import type { Logger } from "../../core/logging/logger.ts";

const CONNECTION_EVENTS = ["ready", "close", "reconnecting", "end"];

/**
 * Whether Redis answers the app right now, as the routing path needs to know it: down while the
 * connection is not ready, and also while a write has gone unanswered past its budget (a hung or
 * partitioned Redis keeps the connection "ready" but answers nothing). Up again when the connection
 * is ready and every such write has been answered.
 */
export class RedisHealth {
  private stuckWrites = 0;
  private wasUp: boolean;
  private downSinceMs: number | undefined;
  private readonly onConnection = (): void => this.check();

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {
    this.wasUp = redis.status === "ready";
    if (!this.wasUp) this.downSinceMs = Date.now();
    for (const event of CONNECTION_EVENTS) redis.on(event, this.onConnection);
  }

  /** Stops following the connection (the app stops; the connection may live on). */
  close(): void {
    for (const event of CONNECTION_EVENTS) this.redis.off(event, this.onConnection);
  }

  get up(): boolean {
    return this.redis.status === "ready" && this.stuckWrites === 0;
  }

  /** When Redis went away (epoch ms), while it is away. */
  get downSince(): number | undefined {
    return this.up ? undefined : this.downSinceMs;
  }

  /** A write went past its budget unanswered; Redis counts as down until `unstuck`. */
  stuck(): void {
    this.stuckWrites++;
    this.check();
  }

  unstuck(): void {
    this.stuckWrites = Math.max(0, this.stuckWrites - 1);
    this.check();
  }

  private check(): void {
    const up = this.up;
    if (up === this.wasUp) return;
    this.wasUp = up;
    if (this.redis.status === "end") {
      this.downSinceMs ??= Date.now(); // closed on purpose (shutting down): nothing to warn about
    } else if (up) {
      const downMs = this.downSinceMs === undefined ? 0 : Date.now() - this.downSinceMs;
      this.logger.info({ downMs }, "Redis answers again");
      this.downSinceMs = undefined;
    } else {
      this.downSinceMs = Date.now();
      this.logger.warn(
        { connection: this.redis.status, stuckWrites: this.stuckWrites },
        "Redis unreachable: new calls go to the dialplan, events of live calls wait in the outbox",
      );
    }
  }
}

/**
 * Redis as the routing path may use it: reads wait at most the routing budget (then the caller's
 * fallback applies), bookkeeping writes are sent without waiting (ioredis keeps them in order while
 * the connection is away and sends them when it is back).
 */
export class RoutingRedis {
  constructor(
    readonly redis: Redis,
    private readonly health: RedisHealth,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  async read<T>(what: string, op: (redis: Redis) => Promise<T>, fallback: T): Promise<T> {
    if (!this.health.up) return fallback;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<T>((resolve) => {
      timer = setTimeout(() => {
        this.logger.warn({ what, timeoutMs: this.timeoutMs }, "Redis read timed out; going on without it");
        resolve(fallback);
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([op(this.redis), late]);
    } catch (err) {
      this.logger.warn({ what, err: (err as Error).message }, "Redis read failed; going on without it");
      return fallback;
    } finally {
      clearTimeout(timer);
    }
  }

  write(what: string, op: (redis: Redis) => Promise<unknown>): void {
    op(this.redis).catch((err: Error) => this.logger.warn({ what, err: err.message }, "Redis write failed"));
  }
}
