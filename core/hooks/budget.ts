/**
 * The time limit of one point run. It counts the customizations' own time: while a `ctx.crm` command
 * is on its way the clock stops, because the delivery pipeline bounds that wait itself (timeouts,
 * retries, the shared limiter) and a slow portal must not make a healthy hook look hung.
 */
export class TimeBudget {
  private controller: AbortController | undefined;
  private expiredAlready = false;
  private timer: NodeJS.Timeout | undefined;
  private usedMs = 0;
  private runningSince: number | undefined;
  private pauses = 0;
  private resolveExpired!: () => void;
  /** Resolves when the limit is reached (never rejects). */
  readonly expired: Promise<void>;

  constructor(
    readonly limitMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.expired = new Promise((resolve) => (this.resolveExpired = resolve));
  }

  /** Aborted at the limit (created on first use: most hooks never look at it, and it is not free). */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.expiredAlready && !this.controller.signal.aborted) this.controller.abort();
    return this.controller.signal;
  }

  start(): void {
    this.runningSince = this.now();
    this.arm(this.limitMs);
  }

  pause(): void {
    if (this.pauses++ > 0 || this.runningSince === undefined) return;
    this.usedMs += this.now() - this.runningSince;
    this.runningSince = undefined;
    clearTimeout(this.timer);
  }

  resume(): void {
    if (--this.pauses > 0 || this.expiredAlready) return;
    this.runningSince = this.now();
    this.arm(this.limitMs - this.usedMs);
  }

  /** Ends the run: no expiry any more. */
  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.expiredAlready = true;
        this.controller?.abort();
        this.resolveExpired();
      },
      Math.max(0, ms),
    );
  }
}
