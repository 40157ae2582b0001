/**
 * Exponential backoff with full jitter: attempt n (1-based) waits a uniform random time in
 * [0, min(maxMs, baseMs · 2^(n-1))]. Full jitter spreads the retries of many workers after an outage.
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
