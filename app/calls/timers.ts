/** Named timers per call; a fired timer runs through the call's serial queue (see KeyedSerial). */
export class CallTimers {
  private readonly timers = new Map<string, Map<string, NodeJS.Timeout>>();

  constructor(private readonly run: (callId: string, task: () => Promise<void>) => void) {}

  set(callId: string, name: string, delayMs: number, task: () => Promise<void>): void {
    this.clear(callId, name);
    let byName = this.timers.get(callId);
    if (!byName) this.timers.set(callId, (byName = new Map()));
    const t = setTimeout(
      () => {
        byName.delete(name);
        if (byName.size === 0 && this.timers.get(callId) === byName) this.timers.delete(callId);
        this.run(callId, task);
      },
      Math.max(0, delayMs),
    );
    byName.set(name, t);
  }

  has(callId: string, name: string): boolean {
    return this.timers.get(callId)?.has(name) ?? false;
  }

  /** Calls with a timer armed (for leak checks). */
  get size(): number {
    return this.timers.size;
  }

  clear(callId: string, name?: string): void {
    const byName = this.timers.get(callId);
    if (!byName) return;
    for (const [n, t] of byName) {
      if (name === undefined || n === name) {
        clearTimeout(t);
        byName.delete(n);
      }
    }
    if (byName.size === 0) this.timers.delete(callId);
  }

  clearAll(): void {
    for (const callId of [...this.timers.keys()]) this.clear(callId);
  }
}
