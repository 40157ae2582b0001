import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { AuditJob } from "../../core/audit/auditJob.ts";
import {
  auditPeriod,
  newReport,
  noteFound,
  noteNeedsPerson,
  noteRepaired,
  type AuditReport,
  type RepairedCall,
} from "../../core/audit/auditReport.ts";
import {
  compareCall,
  type AuditFinding,
  type ExpectedCall,
  type PortalFacts,
} from "../../core/audit/compareCall.ts";
import { expectedOf, journalFactsOf } from "../../core/audit/expectedCall.ts";
import type { AuditReports } from "../../core/audit/reportStore.ts";
import type { CallStore } from "../../core/calls/callStore.ts";
import type { UserDirectory } from "../../core/calls/decisions/index.ts";
import type { Config } from "../../core/config/schema.ts";
import { LIFECYCLE_JOB_OPTIONS, reprocessJobId, type LifecycleJob } from "../../core/jobs/lifecycle.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import { rebuildCall, type RebuildOptions, type RebuiltCall } from "../../core/records/buildCall.ts";
import type { CallRecords } from "../../core/records/callRecords.ts";
import { reprocessRebuilt } from "../../core/records/reprocessCall.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { CrmDelivery } from "../delivery/types.ts";
import { portalRecords, StatisticsUnavailable } from "./portalStatistics.ts";

/**
 * One self-audit run: the calls Asterisk's records hold for a period, rebuilt, compared with the
 * workers' journal and (`audit.checkPortal`) the portal's call statistics (core/audit/compareCall.ts);
 * missing and failed calls re-processed exactly like `/pbx/read_call` does (the journal and the
 * statistics keep that from doubling anything); the repairs waited for and compared again; the rest
 * reported for a person. The report is stored as the run goes (`GET /audit/latest`).
 */

export interface AuditRunDeps {
  config: Pick<Config, "audit" | "crm">;
  records: {
    linkedIdsStartedBetween(from: Date, to: Date, limit: number): Promise<string[]>;
    callRecords(linkedId: string): Promise<CallRecords>;
  };
  rebuildOptions: RebuildOptions;
  redis: Redis;
  keys: RedisKeys;
  store: Pick<CallStore, "get" | "put">;
  queue: Pick<Queue, "add">;
  delivery: Pick<CrmDelivery, "send">;
  directory: UserDirectory;
  reports: AuditReports;
  metrics: Metrics;
  logger: Logger;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Aborted when the worker stops: the run ends at once, reported as failed ("stopped"). */
  signal?: AbortSignal;
}

/** Calls compared (and their statistics asked) at once. */
const CHUNK = 50;
/** Calls read from PostgreSQL at once. */
const READ_CONCURRENCY = 4;
const VERIFY_POLL_MS = 1_000;

interface Repair {
  expected: ExpectedCall;
  finding: AuditFinding;
  action: RepairedCall["action"];
}

export async function runAudit(deps: AuditRunDeps, job: AuditJob): Promise<AuditReport> {
  const now = deps.now ?? (() => new Date());
  const { audit } = deps.config;
  const period =
    job.from && job.to
      ? { from: job.from, to: job.to }
      : auditPeriod(now(), audit.periodHours, audit.settleMinutes);
  const report = newReport({ id: job.id, trigger: job.trigger, period, startedAt: now().toISOString() });
  const log = deps.logger.child({ audit: job.id });
  report.portal = { checked: audit.checkPortal };
  try {
    await deps.reports.save(report);
    const ids = await deps.records.linkedIdsStartedBetween(
      new Date(period.from),
      new Date(period.to),
      audit.maxCalls + 1,
    );
    if (ids.length > audit.maxCalls) report.truncated = true;
    const taken = ids.slice(0, audit.maxCalls);
    report.counts.asterisk = taken.length;
    const repairs: Repair[] = [];
    for (let i = 0; i < taken.length; i += CHUNK) {
      if (deps.signal?.aborted) throw new Error("stopped: the worker process is shutting down");
      repairs.push(...(await auditChunk(deps, report, taken.slice(i, i + CHUNK), log)));
      await deps.reports.save(report);
    }
    await verifyRepairs(deps, report, repairs, log);
    if (deps.signal?.aborted) throw new Error("stopped: the worker process is shutting down");
    report.state = "done";
  } catch (err) {
    report.state = "failed";
    report.error = (err as Error).message;
    log.error({ err: report.error }, "audit failed");
  }
  report.finishedAt = now().toISOString();
  await deps.reports.save(report);
  await deps.metrics.count("audit.runs");
  if (report.counts.needsPerson > 0) await deps.metrics.count("audit.needsPerson", report.counts.needsPerson);
  log.info({ state: report.state, period, counts: report.counts, portal: report.portal }, "audit finished");
  return report;
}

async function auditChunk(
  deps: AuditRunDeps,
  report: AuditReport,
  ids: string[],
  log: Logger,
): Promise<Repair[]> {
  const rebuilt = await rebuildAll(deps, ids);
  const expected = new Map<string, ExpectedCall>();
  for (const [id, call] of rebuilt) {
    const exp = call && expectedOf(call, deps.directory, deps.config.crm);
    if (!exp || !exp.complete || !exp.forCrm) report.counts.notCompared += 1;
    else expected.set(id, exp);
  }
  const compared = [...expected.keys()];
  const journals = await journalsOf(deps, compared);
  const portal = await portalOf(deps, report, compared, log);
  const repairs: Repair[] = [];
  for (const [id, exp] of expected) {
    const facts: PortalFacts = portal ? { checked: true, records: portal.get(id) ?? [] } : { checked: false };
    const finding = compareCall(exp, journals.get(id)!, facts, deps.config.audit);
    if (!finding) {
      report.counts.ok += 1;
      continue;
    }
    noteFound(report, finding);
    if (!finding.repairable) noteNeedsPerson(report, finding, finding.detail);
    else if (!deps.config.audit.repair) noteNeedsPerson(report, finding, "audit.repair is off");
    else repairs.push(...(await repair(deps, report, rebuilt.get(id)!, exp, finding, log)));
  }
  return repairs;
}

async function rebuildAll(deps: AuditRunDeps, ids: string[]): Promise<Map<string, RebuiltCall | undefined>> {
  const out = new Map<string, RebuiltCall | undefined>();
  let next = 0;
  const reader = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const records = await deps.records.callRecords(id);
      out.set(id, rebuildCall(records, { ...deps.rebuildOptions, callId: id }));
    }
  };
  await Promise.all(Array.from({ length: READ_CONCURRENCY }, reader));
  return new Map(ids.map((id) => [id, out.get(id)]));
}

async function journalsOf(deps: AuditRunDeps, ids: string[]) {
  const jsons = ids.length ? await deps.redis.mget(ids.map((id) => deps.keys.journal(id))) : [];
  return new Map(ids.map((id, i) => [id, journalFactsOf(jsons[i] ?? null)]));
}

/** The statistics of the calls, or undefined when they are off or could not be read (then noted once). */
async function portalOf(deps: AuditRunDeps, report: AuditReport, ids: string[], log: Logger) {
  if (!report.portal.checked || ids.length === 0) return undefined;
  try {
    return await portalRecords(deps.delivery, ids);
  } catch (err) {
    if (!(err instanceof StatisticsUnavailable)) throw err;
    report.portal = { checked: false, error: err.message };
    log.warn({ err: err.message }, "portal statistics unavailable: the audit compares the journal only");
    return undefined;
  }
}

async function repair(
  deps: AuditRunDeps,
  report: AuditReport,
  rebuilt: RebuiltCall,
  expected: ExpectedCall,
  finding: AuditFinding,
  log: Logger,
): Promise<Repair[]> {
  const { callId } = expected;
  try {
    if (finding.problem === "undelivered" && (await requeue(deps, callId)))
      return [{ expected, finding, action: "requeued" }];
    const result = await reprocessRebuilt(deps, rebuilt);
    if (result.outcome === "queued") return [{ expected, finding, action: "reprocessed" }];
    if (result.outcome === "reopened") return [{ expected, finding, action: "reopened" }];
    noteNeedsPerson(report, finding, `not re-processed: ${result.outcome}: ${result.reason ?? ""}`);
  } catch (err) {
    log.warn({ callId, err: (err as Error).message }, "audit could not re-process a call");
    noteNeedsPerson(report, finding, `not re-processed: ${(err as Error).message}`);
  }
  return [];
}

/** A call still on its way with its live state: one more job for it (the sweeper would, later). */
async function requeue(deps: AuditRunDeps, callId: string): Promise<boolean> {
  const state = await deps.store.get(callId);
  if (!state || state.phase !== "ended") return false;
  const at = (deps.now?.() ?? new Date()).getTime();
  const job: LifecycleJob = {
    callId,
    version: state.version,
    kind: "reprocess",
    at: new Date(at).toISOString(),
  };
  await deps.queue.add(job.kind, job, { ...LIFECYCLE_JOB_OPTIONS, jobId: reprocessJobId(callId, at) });
  return true;
}

/**
 * Waits (at most `audit.verifyTimeoutSec`) until every repaired call's journal says how it ended,
 * then compares each again with the journal and the statistics: what now agrees is repaired, the
 * rest needs a person with what its repair ended in.
 */
async function verifyRepairs(deps: AuditRunDeps, report: AuditReport, repairs: Repair[], log: Logger) {
  if (repairs.length === 0) return;
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now().getTime() + deps.config.audit.verifyTimeoutSec * 1000;
  const ids = repairs.map((r) => r.expected.callId);
  let journals = await journalsOf(deps, ids);
  while ([...journals.values()].some((j) => j.state === "pending" || j.state === "none")) {
    if (now().getTime() >= deadline || deps.signal?.aborted) break;
    await sleep(VERIFY_POLL_MS);
    journals = await journalsOf(deps, ids);
  }
  const settled = ids.filter((id) => {
    const state = journals.get(id)!.state;
    return state !== "pending" && state !== "none";
  });
  const portal = await portalOf(deps, report, settled, log);
  for (const { expected, finding, action } of repairs) {
    const journal = journals.get(expected.callId)!;
    if (journal.state === "pending" || journal.state === "none") {
      const why = `${action}, not in the CRM after ${deps.config.audit.verifyTimeoutSec} s (delivery held? see /status)`;
      noteNeedsPerson(report, finding, why);
      continue;
    }
    const facts: PortalFacts = portal
      ? { checked: true, records: portal.get(expected.callId) ?? [] }
      : { checked: false };
    const after = compareCall(expected, journal, facts, deps.config.audit);
    if (!after) noteRepaired(report, { callId: expected.callId, problem: finding.problem, action });
    else noteNeedsPerson(report, { ...after, problem: finding.problem }, `${action}, then: ${after.detail}`);
  }
}
