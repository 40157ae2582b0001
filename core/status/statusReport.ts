import type { AuditSummary } from "../audit/auditReport.ts";
import { errorTypes } from "../metrics/errorStats.ts";

/**
 * The `/status` document, built by a pure function from what the probes found, so that every rule
 * ("no worker seen" is an error, an old waiting job a warning, …) is unit-tested without servers.
 * Monitoring picks fields with jq; a value that could not be measured is `null`, never a guess.
 */

import type { HookStatusView } from "../hooks/statusView.ts";
import { offlinePollProblem, offlinePollReport, type OfflinePollReport } from "./offlinePollStatus.ts";

/** The outcome of one time-boxed probe. */
export type Probe<T> = { ok: true; value: T } | { ok: false; error: string };

/** What the call-control process knows about itself; the app's live AppStatus is this shape. */
export interface AppView {
  /** `replaced`: another websocket took the ARI application name; this process acts on no call. */
  state: "starting" | "running" | "reconnecting" | "replaced" | "stopping";
  ariConnected: boolean;
  ariConnectedSince?: string;
  ariReconnects: number;
  activeCalls: number;
  lastResyncAt?: string;
  /** Redis as the app's call writes see it (absent in a process without call control). */
  callWrites?: CallWritesView;
  /** Redis persistence settings read at start and on every reconnect (null: could not be read). */
  redisSettings?: { appendonly: string | null; maxmemoryPolicy: string | null };
  /** The app's customization hooks (absent in a process without them). */
  hooks?: HookStatusView;
}

export interface CallWritesView {
  /** Redis answers the app's writes in time (false: new calls go to the dialplan). */
  redisUp: boolean;
  redisDownSince?: string;
  /** Call writes Redis has not confirmed yet; of them, those kept in the local outbox file. */
  pending: number;
  outbox: number;
  /** New calls handed back to the dialplan (Redis unreachable) since the process started. */
  handedToDialplan: number;
}

export interface QueueSnapshot {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  /** When the oldest waiting job became ready to run (ms), if any job waits. */
  oldestWaitingReadyAt?: number;
}

export interface StatusInputs {
  now: number;
  process: { pid: number; uptimeSec: number; version: string };
  app: AppView;
  redis: { reachable: boolean; latencyMs: number | null; error?: string };
  queue: Probe<QueueSnapshot>;
  /** Heartbeats seen recently, by component name (`worker:<host>:<pid>`, …). */
  heartbeats: Probe<Record<string, Record<string, unknown>>>;
  /** Counters summed over the last hour (`calls.processed`, `errors.<CODE>`, …). */
  lastHour: Probe<Record<string, number>>;
  failedTotal: Probe<number>;
  /** Error counters of the last 24 h and 7 days (hourly buckets, core/metrics/errorStats.ts). */
  errorWindows?: Probe<{ lastDay: Record<string, number>; lastWeek: Record<string, number> }>;
  /** The last self-audit (null: none has run). */
  audit?: Probe<AuditSummary | null>;
}

export type CrmAuth = "ok" | "refreshing" | "failed";

/** A delivery hold as `/status` shows it: what the portal refuses, since when, and what was held. */
export interface CrmHold {
  cause: string;
  /** What kind of fix it waits for: credentials, token_file, rights, blocked, request, address, unreachable. */
  kind: string;
  description: string;
  since: string;
  heldSec: number;
  probes: number;
  nextProbeInSec: number;
  /** Refusals seen in this hold, and sends rejected while it lasts (all workers). */
  refusals: number;
  heldSends: number;
}

export interface StatusReport {
  status: "ok" | "warning" | "error";
  problems: string[];
  generatedAt: string;
  app: { state: AppView["state"]; pid: number; uptimeSec: number; version: string };
  ari: { connected: boolean; since: string | null; reconnects: number; lastResyncAt: string | null };
  redis: {
    reachable: boolean;
    latencyMs: number | null;
    /** `CONFIG GET appendonly` / `maxmemory-policy` as the app read them; null when unknown. */
    appendonly: string | null;
    maxmemoryPolicy: string | null;
    /** The app's call writes (null in a process without call control). */
    callWrites: CallWritesView | null;
  };
  queues: {
    lifecycle: {
      waiting: number | null;
      active: number | null;
      delayed: number | null;
      failed: number | null;
      completed: number | null;
      oldestWaitingAgeSec: number | null;
    };
  };
  workers: { seen: number | null; list: { id: string; lastSeenSec: number; inFlight: number | null }[] };
  crm: {
    reachable: boolean | null;
    auth: CrmAuth | null;
    lastSuccessAt: string | null;
    lastErrorCode: string | null;
    /** The cluster-wide delivery hold (newest worker heartbeat); null when delivery is not held. */
    hold: CrmHold | null;
    /** Holds begun in the last hour, by cause code (`PORTAL_UNREACHABLE`, `INVALID_CREDENTIALS`, …). */
    holdsLastHour: Record<string, number>;
    /** Sends refused because delivery was held, in the last hour, by cause code. */
    heldLastHour: Record<string, number>;
    /** Manager-first CRM lookups in the last hour: `found`, `notFound`, `failed`, `expired`. */
    lookupsLastHour?: Record<string, number>;
    /** The offline event poll (`events.delivery` offline/both); null when no worker polls. */
    offlinePoll?: OfflinePollReport | null;
  };
  calls: {
    activeNow: number;
    processedLastHour: number | null;
    failedLastHour: number | null;
    failedTotal: number | null;
    /** Ended calls not yet delivered, skipped or failed (the workers' sweeper set), from the newest heartbeat. */
    undelivered: number | null;
    oldestUndeliveredSec: number | null;
    /** Failed originates (operator legs, click-to-call, the client of outbound calls and callbacks) in the last hour, by decoded reason. */
    originateFailedLastHour: Record<string, number>;
  };
  /** Bitrix24 events in the last hour: received by name, duplicates, refused and ignored clicks. */
  crmEventsLastHour: Record<string, number>;
  errorsLastHour: Record<string, number>;
  /**
   * Errors by type (`NETWORK`, `calls.failed`, `calls.held`, `holds.<CAUSE>`, …) in the last hour,
   * day and week; null where they could not be read. An alert on `errors.lastHour` needs no sums.
   */
  errors: {
    lastHour: Record<string, number> | null;
    lastDay: Record<string, number> | null;
    lastWeek: Record<string, number> | null;
  };
  /** The last self-audit's summary (`GET /audit/latest` has the report); null when none has run. */
  audit: AuditSummary | null;
  /** Customization hooks: the app's and the newest worker's, and their trouble over the last hour. */
  hooks: {
    app: HookStatusView | null;
    workers: HookStatusView | null;
    /** `errors.<point>`, `timeouts.<point>`, `deferred.<point>` of all processes (non-zero only). */
    lastHour: Record<string, number>;
  };
}

export const STATUS_THRESHOLDS = {
  /** A lifecycle job waiting longer than this means the workers do not keep up (or none runs). */
  oldestWaitingWarnSec: 60,
  /** An ended call still not in the CRM after this long: the sweeper keeps failing on it. */
  oldestUndeliveredWarnSec: 900,
};

const WORKER_PREFIX = "worker:";

/** Error codes that mean the portal could not be reached at all (as opposed to answering with an error). */
const UNREACHABLE_CODES =
  /^(NETWORK|TIMEOUT|CONNECT_FAILED|CONNECT_TIMEOUT|ECONN\w*|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|HTTP_5\d\d|5\d\d)$/;

export function buildStatusReport(input: StatusInputs): StatusReport {
  const queue = lifecycleQueue(input);
  const workers = workerList(input);
  const crm = aggregateCrm(input.heartbeats.ok ? workerInfos(input.heartbeats.value) : []);
  const counters = input.lastHour.ok ? input.lastHour.value : undefined;
  const report: Omit<StatusReport, "status" | "problems"> = {
    generatedAt: new Date(input.now).toISOString(),
    app: { state: input.app.state, ...input.process },
    ari: {
      connected: input.app.ariConnected,
      since: input.app.ariConnectedSince ?? null,
      reconnects: input.app.ariReconnects,
      lastResyncAt: input.app.lastResyncAt ?? null,
    },
    redis: {
      reachable: input.redis.reachable,
      latencyMs: input.redis.latencyMs,
      appendonly: input.app.redisSettings?.appendonly ?? null,
      maxmemoryPolicy: input.app.redisSettings?.maxmemoryPolicy ?? null,
      callWrites: input.app.callWrites ?? null,
    },
    queues: { lifecycle: queue },
    workers,
    crm: {
      ...crm,
      hold: crmHold(input.heartbeats.ok ? workerInfos(input.heartbeats.value) : [], input.now),
      holdsLastHour: counters ? countersWithPrefix(counters, "holds.", ["holds.cleared"]) : {},
      heldLastHour: counters ? countersWithPrefix(counters, "held.") : {},
      lookupsLastHour: counters ? countersWithPrefix(counters, "crmLookup.") : {},
      offlinePoll: input.heartbeats.ok ? offlinePollReport(input.heartbeats.value) : null,
    },
    calls: {
      activeNow: input.app.activeCalls,
      processedLastHour: counters ? (counters["calls.processed"] ?? 0) : null,
      failedLastHour: counters ? (counters["calls.failed"] ?? 0) : null,
      failedTotal: input.failedTotal.ok ? input.failedTotal.value : null,
      ...undeliveredCalls(input.heartbeats.ok ? workerInfos(input.heartbeats.value) : [], input.now),
      originateFailedLastHour: counters ? countersWithPrefix(counters, "originate.failed.") : {},
    },
    crmEventsLastHour: counters ? countersWithPrefix(counters, "events.") : {},
    errorsLastHour: counters ? errorsByCode(counters) : {},
    errors: {
      lastHour: counters ? errorTypes(counters) : null,
      lastDay: input.errorWindows?.ok ? errorTypes(input.errorWindows.value.lastDay) : null,
      lastWeek: input.errorWindows?.ok ? errorTypes(input.errorWindows.value.lastWeek) : null,
    },
    audit: input.audit?.ok ? input.audit.value : null,
    hooks: {
      app: input.app.hooks ?? null,
      workers: newestWorkerHooks(input.heartbeats.ok ? workerInfos(input.heartbeats.value) : []),
      lastHour: counters ? countersWithPrefix(counters, "hooks.") : {},
    },
  };
  const found = findProblems(input, report);
  const status = found.some((p) => p.level === "error") ? "error" : found.length > 0 ? "warning" : "ok";
  return { status, problems: found.map((p) => p.text), ...report };
}

function lifecycleQueue(input: StatusInputs): StatusReport["queues"]["lifecycle"] {
  if (!input.queue.ok) {
    return {
      waiting: null,
      active: null,
      delayed: null,
      failed: null,
      completed: null,
      oldestWaitingAgeSec: null,
    };
  }
  const { oldestWaitingReadyAt, ...counts } = input.queue.value;
  const age =
    oldestWaitingReadyAt === undefined
      ? 0
      : Math.max(0, Math.round((input.now - oldestWaitingReadyAt) / 1000));
  return { ...counts, oldestWaitingAgeSec: age };
}

function workerInfos(
  heartbeats: Record<string, Record<string, unknown>>,
): [string, Record<string, unknown>][] {
  return Object.entries(heartbeats)
    .filter(([id]) => id.startsWith(WORKER_PREFIX))
    .sort(([a], [b]) => a.localeCompare(b));
}

function workerList(input: StatusInputs): StatusReport["workers"] {
  if (!input.heartbeats.ok) return { seen: null, list: [] };
  const list = workerInfos(input.heartbeats.value).map(([id, info]) => ({
    id,
    lastSeenSec: typeof info.at === "number" ? Math.max(0, Math.round((input.now - info.at) / 1000)) : 0,
    inFlight: typeof info.inFlight === "number" ? info.inFlight : null,
  }));
  return { seen: list.length, list };
}

/**
 * The `calls` block of the newest worker heartbeat that has one (every worker measures the same set);
 * the oldest call's age is carried forward to `now`.
 */
export function undeliveredCalls(
  workers: [string, Record<string, unknown>][],
  now: number,
): Pick<StatusReport["calls"], "undelivered" | "oldestUndeliveredSec"> {
  const newest = workers
    .map(([, info]) => ({ at: typeof info.at === "number" ? info.at : 0, calls: info.calls }))
    .filter((w): w is { at: number; calls: Record<string, unknown> } => {
      return typeof w.calls === "object" && w.calls !== null;
    })
    .sort((a, b) => b.at - a.at)[0];
  const count = newest?.calls.undelivered;
  const age = newest?.calls.oldestUndeliveredSec;
  const since = newest ? Math.max(0, Math.round((now - newest.at) / 1000)) : 0;
  return {
    undelivered: typeof count === "number" ? count : null,
    oldestUndeliveredSec: typeof age === "number" ? age + since : null,
  };
}

/** The hooks block of the newest worker heartbeat that has one (workers run the same configuration). */
function newestWorkerHooks(workers: [string, Record<string, unknown>][]): HookStatusView | null {
  const newest = workers
    .filter(([, info]) => typeof info.hooks === "object" && info.hooks !== null)
    .sort(([, a], [, b]) => Number(b.at ?? 0) - Number(a.at ?? 0))[0];
  return newest ? (newest[1].hooks as HookStatusView) : null;
}

/** `errors.QUERY_LIMIT_EXCEEDED` → `QUERY_LIMIT_EXCEEDED`; zero counts are left out. */
export function errorsByCode(counters: Record<string, number>): Record<string, number> {
  return countersWithPrefix(counters, "errors.");
}

/** Non-zero counters named `<prefix><CODE>`, by code (sorted), leaving out `except`. */
export function countersWithPrefix(
  counters: Record<string, number>,
  prefix: string,
  except: string[] = [],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(counters).sort(([a], [b]) => a.localeCompare(b))) {
    if (name.startsWith(prefix) && n > 0 && !except.includes(name)) out[name.slice(prefix.length)] = n;
  }
  return out;
}

/**
 * The hold as the newest worker heartbeat saw it (every worker reads the same Redis record, so the
 * newest is the truest); its age is carried forward to `now`.
 */
export function crmHold(workers: [string, Record<string, unknown>][], now: number): CrmHold | null {
  const newest = workers
    .map(([, info]) => ({ at: typeof info.at === "number" ? info.at : 0, crm: info.crm }))
    .filter(
      (w): w is { at: number; crm: Record<string, unknown> } => typeof w.crm === "object" && w.crm !== null,
    )
    .sort((a, b) => b.at - a.at)[0];
  const hold = newest?.crm.hold as Record<string, unknown> | null | undefined;
  if (!hold || typeof hold.code !== "string") return null;
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  const since = num(hold.since);
  return {
    cause: hold.code,
    kind: typeof hold.kind === "string" ? hold.kind : "unknown",
    description: typeof hold.description === "string" ? hold.description : "",
    since: new Date(since).toISOString(),
    heldSec: Math.max(0, Math.round((now - since) / 1000)),
    probes: num(hold.probes),
    nextProbeInSec: Math.max(0, Math.round((num(hold.nextProbeAt) - now) / 1000)),
    refusals: num(hold.refusals),
    heldSends: num(hold.heldSends),
  };
}

/** The `crm` block of a worker heartbeat (workers/delivery stats); `authState` is the workers' name for `auth`. */
interface CrmHeartbeat {
  auth?: unknown;
  authState?: unknown;
  reachable?: unknown;
  lastSuccessAt?: unknown;
  lastErrorAt?: unknown;
  lastErrorCode?: unknown;
}

/**
 * One CRM view from the workers' heartbeats. Auth is the worst state any worker reports (tokens are
 * shared, so one worker failing is everyone's problem soon); reachability is what the most recent
 * success or error says, unless workers report it outright.
 */
export function aggregateCrm(
  workers: [string, Record<string, unknown>][],
): Omit<StatusReport["crm"], "hold" | "holdsLastHour" | "heldLastHour" | "lookupsLastHour"> {
  const crms = workers
    .map(([, info]) => info.crm)
    .filter((c): c is CrmHeartbeat => typeof c === "object" && c !== null);
  const auths = crms.map((c) => c.auth ?? c.authState);
  const auth: CrmAuth | null = auths.includes("failed")
    ? "failed"
    : auths.includes("refreshing")
      ? "refreshing"
      : auths.includes("ok")
        ? "ok"
        : null;
  const lastSuccess = latest(crms.map((c) => toMs(c.lastSuccessAt)));
  const withError = crms
    .filter((c) => typeof c.lastErrorCode === "string" && c.lastErrorCode !== "")
    .sort((a, b) => (toMs(b.lastErrorAt) ?? 0) - (toMs(a.lastErrorAt) ?? 0));
  const lastErrorCode = (withError[0]?.lastErrorCode as string | undefined) ?? null;
  const lastError = latest(withError.map((c) => toMs(c.lastErrorAt)));
  return {
    reachable: crmReachable(crms, lastSuccess, lastError, lastErrorCode),
    auth,
    lastSuccessAt: lastSuccess === undefined ? null : new Date(lastSuccess).toISOString(),
    lastErrorCode,
  };
}

function crmReachable(
  crms: CrmHeartbeat[],
  lastSuccess: number | undefined,
  lastError: number | undefined,
  lastErrorCode: string | null,
): boolean | null {
  const reported = crms.map((c) => c.reachable).filter((r): r is boolean => typeof r === "boolean");
  if (reported.length > 0) return reported.includes(true);
  const errorIsNewer =
    lastErrorCode !== null && (lastSuccess === undefined || (lastError ?? 0) > lastSuccess);
  if (errorIsNewer) return !UNREACHABLE_CODES.test(lastErrorCode);
  return lastSuccess === undefined ? null : true;
}

function toMs(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function latest(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}

interface Problem {
  level: "warning" | "error";
  text: string;
}

/** What an admin must know about Redis as the app uses it (persistence, writes waiting for it). */
export function redisProblems(app: AppView): string[] {
  const out: string[] = [];
  const settings = app.redisSettings;
  if (settings?.appendonly === "no") {
    out.push("Redis runs without AOF (appendonly no): a Redis restart loses call states and jobs");
  }
  if (settings?.maxmemoryPolicy && settings.maxmemoryPolicy !== "noeviction") {
    out.push(
      `Redis maxmemory-policy is ${settings.maxmemoryPolicy}, not noeviction: it may evict calls and jobs`,
    );
  }
  const writes = app.callWrites;
  if (writes && !writes.redisUp) {
    out.push(
      `call writes wait for Redis (${writes.pending} pending, ${writes.outbox} in the outbox); new calls go to the dialplan`,
    );
  }
  return out;
}

function findProblems(input: StatusInputs, report: Omit<StatusReport, "status" | "problems">): Problem[] {
  const problems: Problem[] = [];
  const add = (level: Problem["level"], text: string) => problems.push({ level, text });
  if (!input.redis.reachable)
    add("error", `Redis unreachable${input.redis.error ? ` (${input.redis.error})` : ""}`);
  if (input.app.state === "starting") add("warning", "app is starting");
  if (input.app.state === "stopping") add("warning", "app is stopping");
  if (input.app.state === "replaced") {
    add(
      "error",
      "ARI application taken over by another connection: this app acts on no call (restart it to take it back)",
    );
  } else if (!input.app.ariConnected) {
    add(input.app.state === "starting" ? "warning" : "error", "ARI disconnected");
  }
  for (const p of redisProblems(input.app)) add("warning", p);
  if (input.redis.reachable) {
    for (const [name, probe] of Object.entries({
      "lifecycle queue": input.queue,
      heartbeats: input.heartbeats,
      metrics: input.lastHour,
      "failed calls": input.failedTotal,
    })) {
      if (!probe.ok) add("warning", `${name} probe failed: ${probe.error}`);
    }
  }
  const age = report.queues.lifecycle.oldestWaitingAgeSec;
  if (age !== null && age > STATUS_THRESHOLDS.oldestWaitingWarnSec) {
    add("warning", `oldest waiting lifecycle job is ${age} s old`);
  }
  const undeliveredAge = report.calls.oldestUndeliveredSec;
  if (undeliveredAge !== null && undeliveredAge > STATUS_THRESHOLDS.oldestUndeliveredWarnSec) {
    add("warning", `an ended call has waited ${undeliveredAge} s for the CRM`);
  }
  if (report.workers.seen === 0) add("error", "no worker seen in the last 30 s");
  for (const p of auditProblems(report.audit)) add("warning", p);
  const hold = report.crm.hold;
  if (hold) {
    add(
      "error",
      `CRM delivery held for ${hold.heldSec} s: ${hold.cause} (${hold.kind}) ${hold.description}; ` +
        `${hold.heldSends} send(s) held, ${hold.probes} probe(s)`,
    );
  }
  const pollProblem = offlinePollProblem(report.crm.offlinePoll, input.now);
  if (pollProblem) add(pollProblem.level, pollProblem.text);
  if (report.crm.auth === "failed") add("error", "CRM auth failed");
  if (report.crm.auth === "refreshing") add("warning", "CRM auth refreshing");
  if (report.crm.reachable === false) add("error", `CRM unreachable (${report.crm.lastErrorCode})`);
  const failed = report.calls.failedLastHour;
  if (failed !== null && failed > 0) add("warning", `${failed} call(s) failed in the last hour`);
  return problems;
}

/** The last audit left calls for a person, or could not run. */
export function auditProblems(audit: AuditSummary | null): string[] {
  if (!audit) return [];
  if (audit.state === "failed")
    return [`the last audit (${audit.id}) failed: ${audit.error ?? "see the log"}`];
  const out: string[] = [];
  if (audit.needsPerson > 0)
    out.push(
      `the last audit (${audit.id}) lists ${audit.needsPerson} call(s) that need a person (GET /audit/latest)`,
    );
  if (audit.portalError)
    out.push(`the last audit (${audit.id}) could not read the portal's statistics: ${audit.portalError}`);
  return out;
}
