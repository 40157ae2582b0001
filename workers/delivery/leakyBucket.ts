import type { Redis } from "ioredis";
import type { Lane } from "./types.ts";

/**
 * The portal's leaky bucket, mirrored in Redis and shared by every worker process: each request adds
 * 1, the level drains by `drainPerSec`, and a request may go only while the level stays within the
 * capacity. Time comes from Redis (`TIME`), so the clocks of worker hosts do not matter.
 *
 * KEYS[1] bucket hash; KEYS[2..] method pause keys (value = unix ms until which the method waits).
 * ARGV: op ("take" | "fill"), capacity, drain per ms, headroom kept free for this request's lane.
 * Returns the ms to wait for the bucket, 0 = granted (the level was increased), or minus the ms a
 * paused method still waits (other requests may go meanwhile).
 */
const BUCKET_SCRIPT = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 2, #KEYS do
  local untilMs = tonumber(redis.call("GET", KEYS[i]) or "0")
  if untilMs > now then return now - untilMs end
end
local capacity = tonumber(ARGV[2])
if capacity <= 0 then return 0 end
local drain = tonumber(ARGV[3])
local level = tonumber(redis.call("HGET", KEYS[1], "level") or "0")
local ts = tonumber(redis.call("HGET", KEYS[1], "ts") or tostring(now))
level = level - (now - ts) * drain
if level < 0 then level = 0 end
local ttl = math.ceil(capacity / drain) + 60000
if ARGV[1] == "fill" then
  if level < capacity then level = capacity end
  redis.call("HSET", KEYS[1], "level", tostring(level), "ts", tostring(now))
  redis.call("PEXPIRE", KEYS[1], ttl)
  return 0
end
local limit = capacity - tonumber(ARGV[4])
if level + 1 <= limit then
  redis.call("HSET", KEYS[1], "level", tostring(level + 1), "ts", tostring(now))
  redis.call("PEXPIRE", KEYS[1], ttl)
  return 0
end
redis.call("HSET", KEYS[1], "level", tostring(level), "ts", tostring(now))
redis.call("PEXPIRE", KEYS[1], ttl)
return math.ceil((level + 1 - limit) / drain)
`;

export interface BucketLimits {
  burst: number;
  drainPerSec: number;
}

/** The portal's published buckets; a box portal has none unless `bitrix.rateLimit` sets one. */
export function planLimits(
  plan: "standard" | "enterprise" | "box",
  override: BucketLimits | null | undefined,
): BucketLimits | null {
  if (override === null) return null;
  if (override) return override;
  if (plan === "enterprise") return { burst: 250, drainPerSec: 5 };
  if (plan === "standard") return { burst: 50, drainPerSec: 2 };
  return null;
}

/**
 * Safety margin below the portal's burst (requests in flight arrive a little bunched), and a small
 * reserve that only the interactive lane may use, so that cluster-wide a card never waits behind bulk.
 */
export function bucketShape(limits: BucketLimits): { capacity: number; interactiveReserve: number } {
  const margin = limits.burst >= 10 ? 2 : limits.burst >= 4 ? 1 : 0;
  const capacity = Math.max(1, limits.burst - margin);
  const interactiveReserve = capacity >= 10 ? 2 : 0;
  return { capacity, interactiveReserve };
}

export interface ClusterLimiterOptions {
  redis: Redis;
  bucketKey: string;
  pauseKey: (method: string) => string;
  limits: BucketLimits | null;
  /** Upper bound of one sleep, so a changed bucket (fill, pause lifted) is noticed soon. */
  maxSleepMs?: number;
}

interface Waiter {
  lane: Lane;
  methods: string[];
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Cluster-wide limiter. In a process, waiters queue with the interactive lane first; only the head of
 * the queue asks Redis, so the process never spins. `acquire` also waits out method pauses (429).
 */
export class ClusterLimiter {
  private readonly waiters: Waiter[] = [];
  private pumping = false;
  private seq = 0;
  private closed = false;
  private readonly shape: { capacity: number; interactiveReserve: number } | null;
  private wake: (() => void) | undefined;
  /** Set when something changed (new waiter, fill) while the pump was busy asking Redis. */
  private dirty = false;
  /** Pauses this process set itself, so the batcher keeps paused methods out of sender slots. */
  private readonly localPauses = new Map<string, number>();

  constructor(private readonly options: ClusterLimiterOptions) {
    this.shape = options.limits ? bucketShape(options.limits) : null;
  }

  get enabled(): boolean {
    return this.shape !== null;
  }

  queued(): number {
    return this.waiters.length;
  }

  /** Resolves when one request of `lane` calling `methods` may go now. */
  acquire(lane: Lane, methods: string[] = []): Promise<void> {
    if (this.closed) return Promise.reject(new Error("limiter closed"));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { lane, methods: [...new Set(methods)], seq: this.seq++, resolve, reject };
      const at = lane === "interactive" ? this.waiters.findIndex((w) => w.lane === "bulk") : -1;
      if (at === -1) this.waiters.push(waiter);
      else this.waiters.splice(at, 0, waiter);
      this.dirty = true;
      this.wake?.();
      void this.pump();
    });
  }

  /** 503 QUERY_LIMIT_EXCEEDED: the portal's bucket is full, so ours is too (re-synchronise). */
  async onRateLimited(): Promise<void> {
    if (!this.shape) return;
    await this.run("fill", []);
    this.dirty = true;
    this.wake?.();
  }

  /** 429 OPERATION_TIME_LIMIT or a slow-down: `method` waits until `untilMs` in every process. */
  async pauseMethod(method: string, untilMs: number): Promise<void> {
    const ttl = Math.ceil(untilMs - Date.now());
    if (ttl <= 0) return;
    this.localPauses.set(
      method.toLowerCase(),
      Math.max(untilMs, this.localPauses.get(method.toLowerCase()) ?? 0),
    );
    await this.options.redis.set(this.options.pauseKey(method), String(Math.ceil(untilMs)), "PX", ttl);
  }

  /** Ms until `method` may go again, as far as this process knows (0 = not paused). */
  pauseLeftMs(method: string): number {
    const until = this.localPauses.get(method.toLowerCase());
    if (until === undefined) return 0;
    const left = until - Date.now();
    if (left <= 0) this.localPauses.delete(method.toLowerCase());
    return Math.max(0, left);
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(new Error("limiter closed"));
    this.wake?.();
  }

  private async run(op: "take" | "fill", methods: string[], lane: Lane = "bulk"): Promise<number> {
    const keys = [this.options.bucketKey, ...methods.map((m) => this.options.pauseKey(m))];
    const capacity = this.shape?.capacity ?? 0;
    const drainPerMs = (this.options.limits?.drainPerSec ?? 1) / 1000;
    const reserve = lane === "interactive" ? 0 : (this.shape?.interactiveReserve ?? 0);
    const wait = await this.options.redis.eval(
      BUCKET_SCRIPT,
      keys.length,
      ...keys,
      op,
      capacity,
      drainPerMs,
      reserve,
    );
    return Number(wait);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && this.waiters.length > 0) {
        this.dirty = false;
        const sleepMs = await this.grantWhatCan();
        if (sleepMs === 0 || this.dirty) continue;
        await new Promise<void>((r) => {
          const timer = setTimeout(r, Math.min(sleepMs, this.options.maxSleepMs ?? 1000));
          this.wake = () => {
            clearTimeout(timer);
            r();
          };
        });
        this.wake = undefined;
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Tries waiters in priority order: grants the first that may go (returns 0), skips those whose
   * method is paused, stops at the first that waits for the bucket. Returns how long to sleep.
   */
  private async grantWhatCan(): Promise<number> {
    let sleepMs = Number.POSITIVE_INFINITY;
    for (const waiter of [...this.waiters]) {
      let wait: number;
      try {
        wait = await this.run("take", waiter.methods, waiter.lane);
      } catch {
        return 200; // Redis hiccup: try again shortly rather than fail the request
      }
      if (wait === 0) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
        return 0;
      }
      if (wait > 0) return Math.min(sleepMs, wait);
      sleepMs = Math.min(sleepMs, -wait);
    }
    return Number.isFinite(sleepMs) ? sleepMs : 0;
  }
}
