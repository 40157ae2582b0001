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
  type JournalFacts,
  type PortalFacts,
} from "../../core/audit/compareCall.ts";
import { journalFactsOf } from "../../core/audit/expectedCall.ts";
import type { AuditReports } from "../../core/audit/reportStore.ts";
import type { CallStore } from "../../core/calls/callStore.ts";
import { callIdOfLinkedId } from "../../core/calls/serverScope.ts";
import type { UserDirectory } from "../../core/calls/decisions/index.ts";
import type { Config } from "../../core/config/schema.ts";
import type { HookRunner } from "../../core/hooks/runner.ts";
import { LIFECYCLE_JOB_OPTIONS, reprocessJobId, type LifecycleJob } from "../../core/jobs/lifecycle.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import { rebuildCall, type RebuildOptions, type RebuiltCall } from "../../core/records/buildCall.ts";
import { reprocessRebuilt } from "../../core/records/reprocessCall.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { PlanConfig } from "../calls/planSteps.ts";
import type { CrmDelivery } from "../delivery/types.ts";
import { expectedCallOf } from "./auditDecisions.ts";
import { auditRecords, type AuditRecords } from "./auditRecords.ts";
import { auditServerId } from "./auditServer.ts";
import { portalRecords, StatisticsUnavailable, type StatisticQuery } from "./portalStatistics.ts";

/**
 * One self-audit run: the calls Asterisk's records hold for a period, rebuilt, compared with the
 * workers' journal and (`audit.checkPortal`) the portal's call statistics (core/audit/compareCall.ts);
 * missing and failed calls re-processed exactly like `/pbx/read_call` does (the journal and the
 * statistics keep that from doubling anything); the repairs waited for and compared again; the rest
 * reported for a person. The report is stored as the run goes (`GET /audit/latest`).
 */

export interface AuditRunDeps {
  config: Pick<Config, "audit" | "asterisk"> & PlanConfig;
  records: AuditRecords;
  rebuildOptions: RebuildOptions;
  redis: Redis;
  keys: RedisKeys;
  store: Pick<CallStore, "get" | "put">;
  queue: Pick<Queue, "add">;
  delivery: Pick<CrmDelivery, "send">;
  directory: UserDirectory;
  /** The process's customizations: the expected figures are decided with them, as delivery decides. */
  hooks?: HookRunner;
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
  query: StatisticQuery;
  finding: AuditFinding;
  action: RepairedCall["action"];
}

export async function runAudit(given: AuditRunDeps, job: AuditJob): Promise<AuditReport> {
  const deps = { ...given, records: auditRecords(given.records) };
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
    const serverId = await auditServerId(deps.config, deps.redis, deps.keys);
    const run: RunScope = {
      callIdOf: (linkedId) => callIdOfLinkedId(serverId, linkedId),
      ...(deps.hooks ? { hooks: deps.hooks.derive({ logger: auditHookLogger(log) }) } : {}),
    };
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
      repairs.push(...(await auditChunk(deps, run, report, taken.slice(i, i + CHUNK), log)));
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

/** What one run fixed before its first call: the call id of a linkedid, the hooks it decides with. */
interface RunScope {
  callIdOf(linkedId: string): string;
  hooks?: HookRunner;
}

async function auditChunk(
  deps: AuditRunDeps,
  run: RunScope,
  report: AuditReport,
  linkedIds: string[],
  log: Logger,
): Promise<Repair[]> {
  const rebuilt = await rebuildAll(deps, run, linkedIds);
  const expected = new Map<string, ExpectedCall>();
  for (const [id, call] of rebuilt) {
    const exp = call && (await expectedCallOf(call, deps.directory, deps.config, run.hooks));
    if (!exp || !exp.complete || !exp.forCrm) report.counts.notCompared += 1;
    else expected.set(id, exp);
    if (exp?.unsure && expected.has(id)) report.counts.unsure += 1;
  }
  const compared = [...expected.keys()];
  const journals = await journalsOf(deps, compared);
  const queries = await queriesOf(deps, compared, journals);
  const portal = await portalOf(deps, report, [...queries.values()], log);
  const repairs: Repair[] = [];
  for (const [id, exp] of expected) {
    const facts: PortalFacts = portal ? { checked: true, records: portal.get(id) ?? [] } : { checked: false };
    const finding = compareCall(exp, journals.get(id)!, facts, deps.config.audit);
    if (!finding) {
      report.counts.ok += 1;
      continue;
    }
    noteFound(report, finding);
    const query = queries.get(id)!;
    if (!finding.repairable) noteNeedsPerson(report, finding, finding.detail);
    else if (!deps.config.audit.repair) noteNeedsPerson(report, finding, "audit.repair is off");
    else repairs.push(...(await repair(deps, report, rebuilt.get(id)!, exp, query, finding, log)));
  }
  return repairs;
}

/** Rebuilt calls by call id (the linkedid with this server's scope). */
async function rebuildAll(
  deps: AuditRunDeps,
  run: RunScope,
  linkedIds: string[],
): Promise<Map<string, RebuiltCall | undefined>> {
  const out = new Map<string, RebuiltCall | undefined>();
  let next = 0;
  const reader = async (): Promise<void> => {
    while (next < linkedIds.length) {
      const linkedId = linkedIds[next++]!;
      const records = await deps.records.callRecords(linkedId);
      out.set(linkedId, rebuildCall(records, { ...deps.rebuildOptions, callId: run.callIdOf(linkedId) }));
    }
  };
  await Promise.all(Array.from({ length: READ_CONCURRENCY }, reader));
  return new Map(linkedIds.map((linkedId) => [run.callIdOf(linkedId), out.get(linkedId)]));
}

/**
 * How the portal is asked about each call: by our EXTERNAL_CALL_ID, or — a click-to-call, the
 * portal's own call, which need not carry it — by the portal's CALL_ID the journal adopted (or, not
 * adopted yet, the one the live state got from the click).
 */
async function queriesOf(
  deps: AuditRunDeps,
  ids: string[],
  journals: Map<string, JournalFacts>,
): Promise<Map<string, StatisticQuery>> {
  const out = new Map<string, StatisticQuery>();
  for (const callId of ids) {
    const journal = journals.get(callId)!;
    let portalCallId = journal.portalCallId;
    if (!portalCallId && !journal.bxCallId) portalCallId = (await deps.store.get(callId))?.portalCall?.callId;
    out.set(callId, portalCallId ? { callId, portalCallId } : { callId });
  }
  return out;
}

async function journalsOf(deps: AuditRunDeps, ids: string[]) {
  const jsons = ids.length ? await deps.redis.mget(ids.map((id) => deps.keys.journal(id))) : [];
  return new Map(ids.map((id, i) => [id, journalFactsOf(jsons[i] ?? null)]));
}

/**
 * The journals of repaired calls. A re-opened call keeps its old failed mark until a worker takes
 * the re-process request (workers/calls/reprocessRequest.ts): while the request waits, the call is
 * still on its way, not failed again.
 */
async function repairJournals(deps: AuditRunDeps, ids: string[]) {
  const journals = await journalsOf(deps, ids);
  const waiting = ids.length ? await deps.redis.mget(ids.map((id) => deps.keys.reprocessRequest(id))) : [];
  ids.forEach((id, i) => {
    if (waiting[i] !== null && waiting[i] !== undefined) journals.set(id, { state: "pending" });
  });
  return journals;
}

/** The statistics of the calls, or undefined when they are off or could not be read (then noted once). */
async function portalOf(deps: AuditRunDeps, report: AuditReport, calls: StatisticQuery[], log: Logger) {
  if (!report.portal.checked || calls.length === 0) return undefined;
  try {
    return await portalRecords(deps.delivery, calls);
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
  query: StatisticQuery,
  finding: AuditFinding,
  log: Logger,
): Promise<Repair[]> {
  const { callId } = expected;
  try {
    if (finding.problem === "undelivered" && (await requeue(deps, callId)))
      return [{ expected, query, finding, action: "requeued" }];
    const result = await reprocessRebuilt(deps, rebuilt);
    if (result.outcome === "queued") return [{ expected, query, finding, action: "reprocessed" }];
    if (result.outcome === "reopened") return [{ expected, query, finding, action: "reopened" }];
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
  let journals = await repairJournals(deps, ids);
  while ([...journals.values()].some((j) => j.state === "pending" || j.state === "none")) {
    if (now().getTime() >= deadline || deps.signal?.aborted) break;
    await sleep(VERIFY_POLL_MS);
    journals = await repairJournals(deps, ids);
  }
  const settled = repairs
    .filter(({ expected }) => {
      const state = journals.get(expected.callId)!.state;
      return state !== "pending" && state !== "none";
    })
    .map(({ query, expected }) => {
      // Adopted by the repair: asked by the portal's CALL_ID now.
      const portalCallId = journals.get(expected.callId)!.portalCallId ?? query.portalCallId;
      return portalCallId ? { ...query, portalCallId } : query;
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

/**
 * The audit's hook runs: their own statistics (derive) and a logger that keeps only errors — a
 * customization refused its `ctx.crm` falls back on every audited call, as expected, and the live
 * runs log its real failures already. The report counts the calls concerned (`counts.unsure`).
 */
function auditHookLogger(log: Logger): Logger {
  const child = log.child({ hooks: "audit" });
  if (child.isLevelEnabled("warn")) child.level = "error";
  return child;
}
