import type { Config } from "../config/schema.ts";
import type { Logger } from "../logging/logger.ts";
import type { HookDb } from "./api.ts";
import { composeOrder, shippedCustomizations } from "./assemble.ts";
import { FolderLoader, type FolderLoadReport } from "./loader/folderLoader.ts";
import { typeCheckInChild } from "./loader/typeCheckProcess.ts";
import { watchFolder } from "./loader/watch.ts";
import type { LoadedCustomization } from "./ports.ts";
import { HookRunner } from "./runner.ts";
import { SHIPPED } from "./shipped/index.ts";
import type { HookCounterSink, PointFigures } from "./stats.ts";

/**
 * The hooks of one process (app or worker), from its configuration: the runner, the shipped
 * customizations, the folder's modules (type-checked, loaded, reloaded on change). `start` resolves
 * once the first load is done, so no call is handled before the customizations are in place. A bad
 * shipped customization is a configuration error (it throws); a bad folder module is logged and
 * left out (or keeps its previous version).
 */

export interface HookSystemDeps {
  config: Config;
  logger: Logger;
  counters?: HookCounterSink;
  /** Asterisk's PostgreSQL, when configured. */
  db?: HookDb;
}

export interface HookSystemStatus {
  customizations: { name: string; origin: "shipped" | "folder"; description?: string; points: string[] }[];
  folder?: string;
  lastLoad?: FolderLoadReport;
  points: ReturnType<HookRunner["stats"]["snapshot"]>;
}

export class HookSystem {
  readonly runner: HookRunner;
  private shipped: LoadedCustomization[] = [];
  private folder: FolderLoader | undefined;
  private stopWatching: (() => void) | undefined;

  constructor(private readonly deps: HookSystemDeps) {
    const hooks = deps.config.hooks;
    this.runner = new HookRunner({
      logger: deps.logger,
      config: deps.config,
      counters: deps.counters,
      db: deps.db,
      timeLimitMs: hooks.timeLimitMs,
      pointTimeLimitsMs: hooks.pointTimeLimitsMs,
    });
  }

  async start(): Promise<this> {
    const { config, logger } = this.deps;
    const hooks = config.hooks;
    this.shipped = await shippedCustomizations(hooks, config, logger);
    if (hooks.folder) {
      this.folder = new FolderLoader({
        folder: hooks.folder,
        options: hooks.options,
        typeCheck: hooks.typeCheck ? (files) => typeCheckInChild(files) : undefined,
        config,
        logger,
        reservedNames: new Set(Object.keys(SHIPPED)),
      });
      await this.folder.load();
      if (hooks.watch) {
        this.stopWatching = watchFolder(
          hooks.folder,
          hooks.reloadDebounceMs,
          async () => void (await this.reload()),
          (err) =>
            logger.warn(
              { err: err.message, folder: hooks.folder },
              "watching the customization folder failed",
            ),
        );
      }
    }
    this.install();
    return this;
  }

  /** Loads the folder again (what the watcher does on a change). */
  async reload(): Promise<FolderLoadReport | undefined> {
    if (!this.folder) return undefined;
    const report = await this.folder.load();
    this.install();
    return report;
  }

  stop(): void {
    this.stopWatching?.();
  }

  status(): HookSystemStatus {
    return {
      customizations: this.runner.customizations.map((c) => ({
        name: c.name,
        origin: c.origin,
        description: c.description,
        points: Object.keys(c.hooks),
      })),
      folder: this.deps.config.hooks.folder,
      lastLoad: this.folder?.report,
      points: this.runner.stats.snapshot() as Partial<Record<string, PointFigures>>,
    };
  }

  private install(): void {
    const all = [...this.shipped, ...(this.folder?.customizations ?? [])];
    this.runner.use(composeOrder(all, this.deps.config.hooks.order));
  }
}
