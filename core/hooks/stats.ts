import { prom } from "../metrics/promMetrics.ts";
import { HOOK_POINT_NAMES } from "./points.ts";
import type { HookPointName } from "./api.ts";

/**
 * Per-point figures of this process: runs, errors, timeouts, refused values, and a duration histogram
 * (Prometheus-style cumulative buckets, ready for the `/metrics` export). The shared per-minute
 * counters for `/status` go through `HookCounterSink` (core/metrics/metrics.ts in production).
 */

/** Upper bounds of the duration buckets, in milliseconds. */
export const DURATION_BUCKETS_MS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

export interface PointFigures {
  runs: number;
  errors: number;
  timeouts: number;
  refused: number;
  deferred: number;
  durationSumMs: number;
  /** counts[i] = runs that took ≤ DURATION_BUCKETS_MS[i]; the last entry is +Inf (all runs). */
  buckets: number[];
}

/** Where named counters go (`hooks.errors.<point>`, `hooks.timeouts.<point>`); never throws. */
export interface HookCounterSink {
  count(name: string): void;
}

export type HookOutcomeKind = "error" | "timeout" | "refused" | "deferred";

const COUNTER_NAME: Record<HookOutcomeKind, string> = {
  error: "errors",
  timeout: "timeouts",
  refused: "errors",
  deferred: "deferred",
};

export class HookStats {
  private readonly figures = new Map<HookPointName, PointFigures>();

  constructor(private readonly sink?: HookCounterSink) {}

  ran(point: HookPointName, ms: number): void {
    const f = this.of(point);
    f.runs++;
    f.durationSumMs += ms;
    for (let i = 0; i < DURATION_BUCKETS_MS.length; i++) if (ms <= DURATION_BUCKETS_MS[i]!) f.buckets[i]!++;
    f.buckets[DURATION_BUCKETS_MS.length]!++;
    prom.hookDuration.observe({ point }, ms / 1000);
  }

  /** A refused value counts as an error in the shared counters (`hooks.errors.<point>`). */
  failed(point: HookPointName, kind: HookOutcomeKind): void {
    const f = this.of(point);
    if (kind === "error") f.errors++;
    else if (kind === "timeout") f.timeouts++;
    else if (kind === "refused") f.refused++;
    else f.deferred++;
    this.sink?.count(`hooks.${COUNTER_NAME[kind]}.${point}`);
  }

  snapshot(): Partial<Record<HookPointName, PointFigures>> {
    const out: Partial<Record<HookPointName, PointFigures>> = {};
    for (const name of HOOK_POINT_NAMES) {
      const f = this.figures.get(name);
      if (f) out[name] = structuredClone(f);
    }
    return out;
  }

  private of(point: HookPointName): PointFigures {
    let f = this.figures.get(point);
    if (!f) {
      f = {
        runs: 0,
        errors: 0,
        timeouts: 0,
        refused: 0,
        deferred: 0,
        durationSumMs: 0,
        buckets: new Array<number>(DURATION_BUCKETS_MS.length + 1).fill(0),
      };
      this.figures.set(point, f);
    }
    return f;
  }
}
