import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { RedisKeys } from "../../core/redis/keys.ts";

/**
 * A short per-call lock (SET NX PX with a random token). While held it is renewed in the background;
 * it is released with a compare-and-delete, so a worker never frees a lock that expired and was taken
 * by another worker meanwhile.
 */
export interface HeldLock {
  readonly callId: string;
  readonly token: string;
  release(): Promise<void>;
}

export class CallLocks {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ttlMs = 30_000,
  ) {}

  /** The lock, or undefined when another worker holds it. */
  async acquire(callId: string): Promise<HeldLock | undefined> {
    const key = this.keys.callLock(callId);
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
        if (released) return;
        released = true;
        clearInterval(timer);
        await this.redis.eval(RELEASE, 1, key, token);
      },
    };
  }
}

// KEYS: lock. ARGV: token, ttlMs.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
return 0
`;

// KEYS: lock. ARGV: token.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
