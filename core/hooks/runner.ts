import type { CallState } from "../calls/types.ts";
import type { Logger } from "../logging/logger.ts";
import type { HookConfigView, HookDb, HookPointName, HookValue, Middleware } from "./api.ts";
import { hookConfigView } from "./configView.ts";
import { FrozenViews } from "./freeze.ts";
import { PointRun, type Layer, type RunEnv, type RunRequest } from "./pointRun.ts";
import { HOOK_POINT_NAMES, HOOK_POINTS } from "./points.ts";
import type { LoadedCustomization } from "./ports.ts";
import { HookStats, type HookCounterSink } from "./stats.ts";

export type { RunRequest };

export interface HookRunnerOptions {
  logger: Logger;
  /** The non-secret configuration customizations may read (the process's Config fits). */
  config: HookConfigView;
  /** Shared counters (`hooks.errors.<point>`, `hooks.timeouts.<point>`, `hooks.deferred.<point>`). */
  counters?: HookCounterSink;
  /** Asterisk's PostgreSQL, when configured. */
  db?: HookDb;
  /** `hooks.timeLimitMs`: every point's limit, unless `pointTimeLimitsMs` names the point. */
  timeLimitMs?: number;
  /** `hooks.pointTimeLimitsMs`. */
  pointTimeLimitsMs?: Partial<Record<HookPointName, number>>;
  now?: () => number;
}

/**
 * Runs the customizations of each hook point around the connector's own value. A point without
 * customizations costs one Map lookup and a resolved promise (the fast path); the set of
 * customizations is replaced atomically on reload (`use`), runs in flight finish with the old one.
 */
export class HookRunner {
  readonly stats: HookStats;
  private chains = new Map<HookPointName, readonly Layer[]>();
  private loaded: readonly LoadedCustomization[] = [];
  private readonly env: RunEnv;

  constructor(private readonly options: HookRunnerOptions) {
    this.stats = new HookStats(options.counters);
    const views = new FrozenViews<CallState>();
    const limits = options.pointTimeLimitsMs ?? {};
    this.env = {
      logger: options.logger,
      stats: this.stats,
      config: hookConfigView(options.config),
      db: options.db,
      callView: (call) => views.of(call),
      limitMs: (point) => limits[point] ?? options.timeLimitMs ?? HOOK_POINTS[point].defaultTimeLimitMs,
      now: options.now ?? (() => performance.now()),
    };
  }

  /** Installs a set of customizations, outermost first. */
  use(customizations: readonly LoadedCustomization[]): void {
    const chains = new Map<HookPointName, Layer[]>();
    for (const c of customizations) {
      for (const point of HOOK_POINT_NAMES) {
        const fn = c.hooks[point] as Middleware<HookPointName, unknown> | undefined;
        if (typeof fn !== "function") continue;
        let chain = chains.get(point);
        if (!chain) chains.set(point, (chain = []));
        chain.push({ name: c.name, fn, options: c.options });
      }
    }
    this.chains = chains;
    this.loaded = customizations;
  }

  /**
   * A runner with the same customizations and settings but its own logger and statistics (no shared
   * counters): for a computation that is not a delivery (the self-audit), so its runs neither count
   * as the process's hook errors nor log as them.
   */
  derive(overrides: Pick<HookRunnerOptions, "logger">): HookRunner {
    const { counters: _shared, ...own } = this.options;
    const runner = new HookRunner({ ...own, ...overrides });
    runner.use(this.loaded);
    return runner;
  }

  /** The customizations in use, outermost first. */
  get customizations(): readonly LoadedCustomization[] {
    return this.loaded;
  }

  /** Whether any customization hooks this point (a stage may skip building an input it would not need). */
  active(point: HookPointName): boolean {
    return this.chains.has(point);
  }

  /** Names of the customizations on a point, outermost first. */
  layersOf(point: HookPointName): string[] {
    return (this.chains.get(point) ?? []).map((l) => l.name);
  }

  run<P extends HookPointName>(point: P, request: RunRequest<P>): Promise<HookValue<P>> {
    const chain = this.chains.get(point);
    if (chain === undefined) return Promise.resolve(request.value);
    return new PointRun(this.env, point, chain, request).execute();
  }
}
