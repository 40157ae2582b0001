/** The writer was closed while an operation still waited for Redis. */
export class WriterClosedError extends Error {
  constructor() {
    super("the durable writer is closed");
    this.name = "WriterClosedError";
  }
}

/** Delay before attempt `attempt + 1`: 100 ms doubling up to 2 s. Pure. */
export function retryDelayMs(attempt: number): number {
  return Math.min(2000, 100 * 2 ** Math.max(0, attempt - 1));
}

/**
 * Runs `op` until it succeeds: a durable write is never dropped, only delayed. Stops (with
 * WriterClosedError) when `signal` aborts, so shutting down never waits on a Redis that is away.
 */
export async function retryForever<T>(
  op: () => Promise<T>,
  onError: (err: Error, attempt: number) => void,
  signal: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw new WriterClosedError();
    try {
      return await op();
    } catch (err) {
      if (signal.aborted) throw new WriterClosedError();
      onError(err as Error, attempt);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, retryDelayMs(attempt));
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        }
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }
}
