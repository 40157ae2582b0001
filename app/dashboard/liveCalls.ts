/**
 * The app's live call count over the last hour, sampled in memory (the dashboard's "live calls"
 * chart). A ring of fixed size: memory stays bounded whatever the uptime.
 */
export class LiveCallSeries {
  private readonly times: number[] = [];
  private readonly values: number[] = [];

  constructor(private readonly capacity = 720) {}

  add(at: number, value: number): void {
    this.times.push(at);
    this.values.push(value);
    if (this.times.length > this.capacity) {
      this.times.shift();
      this.values.shift();
    }
  }

  /** `[epoch seconds…]`, `[live calls…]`, oldest first. */
  points(): { t: number[]; calls: number[] } {
    return { t: this.times.map((ms) => Math.round(ms / 1000)), calls: [...this.values] };
  }
}
