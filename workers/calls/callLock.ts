import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { RedisKeys } from "../../core/redis/keys.ts";

/**
 * A short per-call lock (SET NX PX with a random token). While held it is renewed in the background;
 * it is released with a compare-and-delete, so a worker never frees a lock that expired and was taken
 * by another worker meanwhile.
 *
 * A job that finds the call locked can leave its work to the holder (`acquireOrLeaveWork`): it marks
 * the call, and the holder learns on release that the call changed while it worked, and reconciles it
 * once more at once. Without that, every job of a busy call polled the lock every few hundred ms for
 * as long as the holder waited on the portal — under a delivery backlog most of Redis's load.
 */
export interface HeldLock {
  readonly callId: string;
  readonly token: string;
  /** Frees the lock; true when another job left work on the call while it was held. */
  release(): Promise<boolean>;
}

export class CallLocks {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ttlMs = 30_000,
  ) {}

  /**
   * The lock; or undefined when another worker holds it, and then that worker reconciles the call
   * once more when it releases the lock. (The second try covers a holder that released between the
   * first try and the mark: it may not have seen the mark.)
   */
  async acquireOrLeaveWork(callId: string): Promise<HeldLock | undefined> {
    const first = await this.acquire(callId);
    if (first) return first;
    await this.redis.set(this.keys.callWorkLeft(callId), "1", "PX", this.ttlMs * 2);
    return this.acquire(callId);
  }

  /** The lock, or undefined when another worker holds it. */
  async acquire(callId: string): Promise<HeldLock | undefined> {
    const key = this.keys.callLock(callId);
    const left = this.keys.callWorkLeft(callId);
    const token = randomUUID();
    const ok = await this.redis.set(key, token, "PX", this.ttlMs, "NX");
    if (ok !== "OK") return undefined;
    const timer = setInterval(
      () => {
        this.redis.eval(RENEW, 1, key, token, String(this.ttlMs)).catch(() => {
          /* Redis hiccup: the fenced journal write will notice a lost lock */
        });
      },
      Math.max(1000, Math.floor(this.ttlMs / 3)),
    );
    timer.unref();
    let released = false;
    return {
      callId,
      token,
      release: async () => {
        if (released) return false;
        released = true;
        clearInterval(timer);
        return Number(await this.redis.eval(RELEASE, 2, key, left, token)) === 1;
      },
    };
  }
}

// KEYS: lock. ARGV: token, ttlMs.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
return 0
`;

// KEYS: lock, work-left mark. ARGV: token. Returns 1 when work was left (the mark is taken either way).
const RELEASE = `
local left = redis.call('DEL', KEYS[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return left
`;
