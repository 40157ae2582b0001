/** At most `limit()` requests in processing; the rest wait in arrival order. */
export class ConcurrencyGate {
  private active = 0;
  private waiting: (() => void)[] = [];

  constructor(private readonly limit: () => number | null) {}

  async acquire(): Promise<() => void> {
    const max = this.limit();
    if (max !== null && this.active >= max) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  /** Called when maxConcurrent changes at runtime, so raised limits take effect at once. */
  pump(): void {
    const max = this.limit();
    while (this.waiting.length > 0 && (max === null || this.active < max)) {
      this.active += 1;
      this.waiting.shift()?.();
    }
  }

  private release(): void {
    this.active -= 1;
    this.pump();
  }

  get queued(): number {
    return this.waiting.length;
  }
}
