/** Capped exponential backoff with ±20 % jitter: 500 ms, 1 s, 2 s, … up to `capMs`. Pure. */
export function reconnectDelayMs(attempt: number, capMs: number, random = Math.random): number {
  const base = Math.min(capMs, 500 * 2 ** Math.max(0, Math.min(attempt, 20)));
  return Math.round(base * (0.8 + 0.4 * random()));
}
