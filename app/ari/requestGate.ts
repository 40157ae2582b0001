/**
 * At most `limit` tasks run at once; the others wait in arrival order. Asterisk's HTTP server refuses
 * sessions beyond `http.conf` `sessionlimit` (100 by default): a burst of calls with ring-all groups
 * used to open hundreds of ARI requests at once and meet "fetch failed" and 10 s timeouts.
 */
export class RequestGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** Requests running and waiting right now. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next)
        next(); // the slot passes on: `running` stays the same
      else this.running--;
    }
  }
}
