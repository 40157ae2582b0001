const MINUTE_MS = 60_000;
const WINDOW_MINUTES = 10;

export interface OperatingFigures {
  /** Accumulated execution time of the method in the window, seconds. */
  operating: number;
  /** Unix time (s) when the oldest bucket leaves the window. */
  operating_reset_at: number;
}

/**
 * Per method and per app/webhook: execution time in ten one-minute buckets (a sliding 10-minute window).
 */
export class OperatingTime {
  private buckets = new Map<string, Map<number, number>>();

  constructor(private readonly now: () => number) {}

  private live(key: string): Map<number, number> {
    const minute = Math.floor(this.now() / MINUTE_MS);
    let buckets = this.buckets.get(key);
    if (!buckets) {
      buckets = new Map();
      this.buckets.set(key, buckets);
    }
    for (const start of buckets.keys()) if (start <= minute - WINDOW_MINUTES) buckets.delete(start);
    return buckets;
  }

  figures(key: string): OperatingFigures {
    const buckets = this.live(key);
    let totalMs = 0;
    let oldest = Math.floor(this.now() / MINUTE_MS);
    for (const [start, ms] of buckets) {
      totalMs += ms;
      oldest = Math.min(oldest, start);
    }
    return { operating: totalMs / 1000, operating_reset_at: ((oldest + WINDOW_MINUTES) * MINUTE_MS) / 1000 };
  }

  add(key: string, ms: number): void {
    if (ms <= 0) return;
    const buckets = this.live(key);
    const minute = Math.floor(this.now() / MINUTE_MS);
    buckets.set(minute, (buckets.get(minute) ?? 0) + ms);
  }

  reset(): void {
    this.buckets.clear();
  }
}
