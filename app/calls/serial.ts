/**
 * Runs tasks one after another per key (a call id), concurrently across keys. A failed task is
 * reported through `onError` and does not block the tasks queued after it.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly onError: (key: string, err: unknown) => void) {}

  run(key: string, task: () => Promise<void>): Promise<void> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(task).catch((err: unknown) => this.onError(key, err));
    this.tails.set(key, next);
    void next.then(() => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    });
    return next;
  }

  /** Keys with tasks queued (for leak checks). */
  get size(): number {
    return this.tails.size;
  }

  /** Resolves when every queued task has finished (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
