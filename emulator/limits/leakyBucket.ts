import type { RateLimitSettings } from "../options.ts";

/**
 * The portal's request-intensity limit: each accepted request adds 1, the counter drains by
 * `drainPerSec`; a request that would push it past `burst` is rejected and adds nothing.
 */
export class LeakyBucket {
  private level = 0;
  private updatedAt = 0;

  constructor(private readonly now: () => number) {}

  tryTake(settings: RateLimitSettings | null): boolean {
    if (!settings) return true;
    this.drain(settings);
    if (this.level + 1 > settings.burst) return false;
    this.level += 1;
    return true;
  }

  current(settings: RateLimitSettings | null): number {
    if (settings) this.drain(settings);
    return this.level;
  }

  reset(): void {
    this.level = 0;
    this.updatedAt = this.now();
  }

  private drain(settings: RateLimitSettings): void {
    const now = this.now();
    const elapsedSec = Math.max(0, now - this.updatedAt) / 1000;
    this.level = Math.max(0, this.level - elapsedSec * settings.drainPerSec);
    this.updatedAt = now;
  }
}
