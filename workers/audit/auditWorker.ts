import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import {
  AUDIT_JOB_OPTIONS,
  AUDIT_QUEUE,
  AUDIT_SCHEDULER_ID,
  newAuditId,
  type AuditJob,
} from "../../core/audit/auditJob.ts";
import { AuditReports } from "../../core/audit/reportStore.ts";
import type { CallStore } from "../../core/calls/callStore.ts";
import type { UserDirectory } from "../../core/calls/decisions/index.ts";
import type { Config } from "../../core/config/schema.ts";
import type { HookRunner } from "../../core/hooks/runner.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import { rebuildOptionsFor } from "../../core/records/rebuildOptions.ts";
import { openRecordsPool } from "../../core/records/recordsDb.ts";
import { RecordsReader } from "../../core/records/recordsReader.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { CrmDelivery } from "../delivery/types.ts";
import { runAudit } from "./auditRun.ts";

/**
 * The audit's place in a worker process: a BullMQ worker of the audit queue (one run at a time per
 * process; a run is one job, so two processes never run the same one) and the schedule — every
 * worker process upserts the same job scheduler (`audit.cron`), so the cluster runs one audit per
 * tick; `audit.enabled: false` removes it.
 */

export interface AuditWorker {
  readonly worker: Worker<AuditJob>;
  close(): Promise<void>;
}

export interface AuditWorkerDeps {
  config: Config;
  redis: Redis;
  connection: Redis;
  keys: RedisKeys;
  store: Pick<CallStore, "get" | "put">;
  lifecycleQueue: Queue;
  delivery: Pick<CrmDelivery, "send">;
  directory: UserDirectory;
  /** The process's customizations (the audit decides as delivery does). */
  hooks?: HookRunner;
  metrics: Metrics;
  logger: Logger;
}

/** Undefined without `cdr.url`: the audit needs Asterisk's records. */
export async function startAuditWorker(deps: AuditWorkerDeps): Promise<AuditWorker | undefined> {
  const { config, logger } = deps;
  const url = config.cdr.url;
  if (!url) return undefined;
  const pool = openRecordsPool({
    url,
    connectTimeoutMs: config.cdr.connectTimeoutMs,
    queryTimeoutMs: config.cdr.queryTimeoutMs,
  });
  const records = new RecordsReader(pool, config.cdr);
  const reports = new AuditReports(deps.redis, deps.keys);
  const prefix = config.redis.prefix;
  const stopping = new AbortController();
  const queue = new Queue<AuditJob>(AUDIT_QUEUE, { connection: deps.connection, prefix });
  await scheduleAudit(queue, config, logger);
  const worker = new Worker<AuditJob>(
    AUDIT_QUEUE,
    async (job: Job<AuditJob>) => {
      // A scheduled job's template carries no id: each run gets its own.
      const data: AuditJob = { ...job.data, id: job.data.id ?? newAuditId() };
      const report = await runAudit(
        {
          config,
          records,
          rebuildOptions: rebuildOptionsFor(config),
          redis: deps.redis,
          keys: deps.keys,
          store: deps.store,
          queue: deps.lifecycleQueue,
          delivery: deps.delivery,
          directory: deps.directory,
          ...(deps.hooks ? { hooks: deps.hooks } : {}),
          reports,
          metrics: deps.metrics,
          logger,
          signal: stopping.signal,
        },
        data,
      );
      return { id: report.id, state: report.state, counts: report.counts };
    },
    { connection: deps.connection, prefix, concurrency: 1 },
  );
  worker.on("error", (err) => logger.error({ err: err.message }, "audit worker error"));
  return {
    worker,
    async close() {
      stopping.abort();
      await worker.close();
      await queue.close();
      await pool.end().catch(() => undefined);
    },
  };
}

/** Installs (or, `audit.enabled: false`, removes) the cluster's one audit schedule. */
export async function scheduleAudit(
  queue: Queue<AuditJob>,
  config: Pick<Config, "audit">,
  logger: Logger,
): Promise<void> {
  if (!config.audit.enabled) {
    await queue.removeJobScheduler(AUDIT_SCHEDULER_ID);
    return;
  }
  await queue.upsertJobScheduler(
    AUDIT_SCHEDULER_ID,
    { pattern: config.audit.cron },
    { name: "audit", data: { trigger: "schedule" } as AuditJob, opts: AUDIT_JOB_OPTIONS },
  );
  logger.info({ cron: config.audit.cron }, "self-audit scheduled");
}
