import { hostname } from "node:os";
import { ConfigError, loadConfig } from "../core/config/loadConfig.ts";
import type { Config } from "../core/config/schema.ts";
import { createLogger, type Logger } from "../core/logging/logger.ts";
import { CustomizationLoadError } from "../core/hooks/errors.ts";
import { hookStatusView } from "../core/hooks/statusView.ts";
import { guardProcess } from "../core/logging/processGuards.ts";
import { startCallWorker } from "./calls/callWorker.ts";

/**
 * `npm run workers`: one worker process. Any number of them may run against the same Redis; they
 * share the queue, the per-call locks, the journals, the directory snapshot and the rate limiter.
 */

const HEARTBEAT_MS = 5_000;

function fail(message: string): never {
  process.stderr.write(`itgrix workers: bad configuration: ${message}\n`);
  process.exit(1);
}

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  if (!config.bitrix.auth) fail("bitrix.auth: required, the workers need the portal");
  const logger = createLogger("workers", config.log.level);
  const worker = await startCallWorker(config, logger).catch((err: unknown) => {
    if (err instanceof CustomizationLoadError) fail(err.key ? `${err.key}: ${err.message}` : err.message);
    throw err;
  });
  guardProcess(logger, (kind) => void worker.metrics.count(`errors.${kind}`));
  const component = `worker:${hostname()}:${process.pid}`;
  const beat = async (): Promise<void> => {
    const calls = await worker.undelivered().catch(() => undefined); // Redis away: left out
    await worker.delivery.hold().catch(() => undefined); // /status shows the hold as Redis has it now
    await worker.metrics.heartbeat(component, {
      inFlight: worker.consumer.inFlight(),
      directoryUsers: worker.directory.size,
      crm: worker.delivery.stats(),
      hooks: hookStatusView(worker.hooks.status()),
      ...(calls ? { calls } : {}),
    });
  };
  await beat();
  const heartbeat = setInterval(() => void beat(), HEARTBEAT_MS);
  logger.info({ component, concurrency: config.workers.concurrency }, "workers started");

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping: no new jobs, finishing the ones in flight");
    clearInterval(heartbeat);
    await worker.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGHUP", () => void reloadAuth(worker, logger));
}

/**
 * SIGHUP: the configuration file is read again and a changed `bitrix.auth` (a new webhook URL, new
 * token files, new OAuth tokens) is taken without a restart; a held delivery probes with it at once.
 * Other keys need a restart. A configuration that does not validate is logged and ignored.
 */
async function reloadAuth(
  worker: { reloadAuth(auth: NonNullable<Config["bitrix"]["auth"]>): Promise<void> },
  logger: Logger,
): Promise<void> {
  try {
    const auth = loadConfig().bitrix.auth;
    if (!auth) throw new Error("bitrix.auth: required, the workers need the portal");
    await worker.reloadAuth(auth);
  } catch (err) {
    logger.error({ err: (err as Error).message }, "SIGHUP: configuration not reloaded");
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`itgrix workers: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
