import type { Config } from "../config/schema.ts";
import type { Logger } from "../logging/logger.ts";
import { openRecordsPool, type RecordsPool } from "../records/recordsDb.ts";
import { HookSystem } from "./hookSystem.ts";
import type { HookCounterSink } from "./stats.ts";

/**
 * The hook system of one process (app or worker), as both start it: the configured customizations
 * loaded before the first call is handled, counters into the shared metrics (`/status`), and Asterisk's
 * PostgreSQL (`cdr.url`) as `ctx.db` when it is configured (the pool connects on its first query).
 * A bad customization throws CustomizationLoadError: the process stops like on a ConfigError.
 */
export interface ProcessHooks {
  system: HookSystem;
  close(): Promise<void>;
}

export async function startProcessHooks(
  config: Config,
  logger: Logger,
  counters?: { count(name: string): unknown },
): Promise<ProcessHooks> {
  const pool: RecordsPool | undefined =
    config.cdr.url && hasCustomizations(config)
      ? openRecordsPool({
          url: config.cdr.url,
          connectTimeoutMs: config.cdr.connectTimeoutMs,
          queryTimeoutMs: config.cdr.queryTimeoutMs,
          max: 2,
        })
      : undefined;
  const sink: HookCounterSink | undefined = counters
    ? { count: (name) => void Promise.resolve(counters.count(name)).catch(() => undefined) }
    : undefined;
  const system = new HookSystem({
    config,
    logger: logger.child({ component: "hooks" }),
    ...(sink ? { counters: sink } : {}),
    ...(pool ? { db: pool } : {}),
  });
  try {
    await system.start();
  } catch (err) {
    system.stop();
    await pool?.end().catch(() => undefined);
    throw err;
  }
  const names = system.runner.customizations.map((c) => c.name);
  if (names.length > 0) logger.info({ customizations: names }, "customizations loaded");
  return {
    system,
    close: async () => {
      system.stop();
      await pool?.end().catch(() => undefined);
    },
  };
}

function hasCustomizations(config: Config): boolean {
  return config.hooks.folder !== undefined || Object.values(config.hooks.shipped).some((s) => s.enabled);
}
