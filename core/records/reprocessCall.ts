import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { CallStore } from "../calls/callStore.ts";
import { statusCode, talkDurationSec } from "../calls/decisions/index.ts";
import type { CallState } from "../calls/types.ts";
import { requestReprocess } from "../calls/reprocessRequest.ts";
import { LIFECYCLE_JOB_OPTIONS, reprocessJobId, type LifecycleJob } from "../jobs/lifecycle.ts";
import type { Logger } from "../logging/logger.ts";
import { rebuildCall, type RebuildOptions, type RebuiltCall } from "./buildCall.ts";
import type { CallRecords } from "./callRecords.ts";
import type { RedisKeys } from "../redis/keys.ts";

/**
 * Re-processing of one call: rebuild it from Asterisk's records and hand it to the workers exactly
 * like a live call — store the state (a version above anything stored) and publish a `reprocess`
 * lifecycle job. The workers' journal decides what the CRM still lacks, so a call already in the CRM
 * gets nothing; such calls are not even written again.
 */

/** What re-processing did with one call. */
export type CallOutcome =
  /** Rebuilt, stored and handed to the workers (a `reprocess` lifecycle job). */
  | "queued"
  /** The workers' journal says the call is fully in the CRM: nothing written. */
  | "inCrm"
  /** The workers skipped it before (not a call for the CRM, e.g. internal): nothing written. */
  | "skipped"
  /**
   * The workers failed it for good before: re-opened like `POST /calls/:id/reprocess` (failed mark and
   * attempts cleared by the next worker, what the CRM has kept) and queued.
   */
  | "reopened"
  /** Failed for good and could not be re-opened (see the reason). */
  | "failed"
  /** Asterisk has not finished the call (no LINKEDID_END yet): try again after it. */
  | "inProgress"
  /** Asterisk's records have no such call. */
  | "notFound"
  /** Reading or writing failed (database, Redis): the reason says which. */
  | "error";

export interface CallSummary {
  direction: string;
  clientNumber: string;
  lineNumber: string;
  /** STATUS_CODE the CRM gets (core decisions). */
  status: string;
  talkSec: number;
  /** Extension of the last operator who talked with the client. */
  answeredBy?: string;
  enteredStasis: boolean;
}

export interface CallResult {
  callId: string;
  outcome: CallOutcome;
  reason?: string;
  /** The stored state's version after the write (queued calls). */
  version?: number;
  /** A state the app had stored (live) was replaced by the rebuilt one. */
  replacedLiveState?: boolean;
  summary?: CallSummary;
  /** Time spent reading Asterisk's records and rebuilding the call. */
  readMs?: number;
  buildMs?: number;
}

export interface ReprocessDeps {
  records: { callRecords(linkedId: string): Promise<CallRecords> };
  store: Pick<CallStore, "get" | "put">;
  queue: Pick<Queue, "add">;
  redis: Redis;
  keys: RedisKeys;
  rebuildOptions: RebuildOptions;
  logger: Logger;
  now?: () => Date;
  /** The linkedids a (server-scoped) call id may stand for in the records, most likely first. */
  linkedIdsOf?: (callId: string) => string[];
}

/** CEL rows are by linkedid: the call id without its server prefix (or with it, when Asterisk added it). */
async function recordsOf(deps: ReprocessDeps, callId: string): Promise<CallRecords> {
  const [first, ...others] = deps.linkedIdsOf?.(callId) ?? [callId];
  let records = await deps.records.callRecords(first!);
  for (const linkedId of others) {
    if (records.cel.length > 0) break;
    records = await deps.records.callRecords(linkedId);
  }
  return records;
}

export async function reprocessCall(deps: ReprocessDeps, callId: string): Promise<CallResult> {
  const started = performance.now();
  const records = await recordsOf(deps, callId);
  const readMs = ms(performance.now() - started);
  if (records.cel.length === 0)
    return { callId, outcome: "notFound", reason: "no CEL rows for this linkedid", readMs };
  const building = performance.now();
  const rebuilt = rebuildCall(records, { ...deps.rebuildOptions, callId });
  const buildMs = ms(performance.now() - building);
  const timing = { readMs, buildMs };
  if (!rebuilt) return { callId, outcome: "notFound", reason: "no channel of the call in CEL", ...timing };
  return reprocessRebuilt(deps, rebuilt, timing);
}

/** Re-processing of a call already rebuilt (the audit reads and rebuilds calls itself). */
export async function reprocessRebuilt(
  deps: Omit<ReprocessDeps, "records" | "rebuildOptions">,
  rebuilt: RebuiltCall,
  timing: Pick<CallResult, "readMs" | "buildMs"> = {},
): Promise<CallResult> {
  const { callId } = rebuilt.state;
  if (!rebuilt.complete) {
    return {
      callId,
      outcome: "inProgress",
      reason: "Asterisk has not ended the call (no LINKEDID_END)",
      ...timing,
    };
  }
  const summary = summaryOf(rebuilt);
  const journal = journalView(await deps.redis.get(deps.keys.journal(callId)));
  if (journal.deliveredAt) {
    const reason = `in the CRM since ${journal.deliveredAt}${journal.bxCallId ? ` (CALL_ID ${journal.bxCallId})` : ""}`;
    return { callId, outcome: "inCrm", reason, summary, ...timing };
  }
  if (journal.skipped) return { callId, outcome: "skipped", reason: journal.skipped, summary, ...timing };
  if (journal.failed) return reopenFailed(deps, rebuilt, journal.failed, { summary, ...timing });

  const stored = await deps.store.get(callId);
  // Asterisk's records do not know a click-to-call was the portal's own call; the live state does,
  // and without it the workers would register the call a second time.
  const portalCall = rebuilt.state.portalCall ?? stored?.portalCall;
  const state: CallState = {
    ...rebuilt.state,
    ...(portalCall ? { portalCall } : {}),
    version: Math.max(rebuilt.state.version, (stored?.version ?? 0) + 1),
    rebuiltAt: (deps.now?.() ?? new Date()).toISOString(),
  };
  if (!(await deps.store.put(state, stored?.version ?? null))) {
    return {
      callId,
      outcome: "error",
      reason: "a newer state of the call was stored meanwhile; run it again",
      ...timing,
    };
  }
  const atMs = (deps.now?.() ?? new Date()).getTime();
  const job: LifecycleJob = {
    callId,
    version: state.version,
    kind: "reprocess",
    at: new Date(atMs).toISOString(),
  };
  // One job id per request: a rebuilt state has the same version each time, and a job kept from an
  // earlier re-processing (BullMQ keeps finished jobs an hour) would swallow a (callId, version) id.
  await deps.queue.add(job.kind, job, { jobId: reprocessJobId(callId, atMs), ...LIFECYCLE_JOB_OPTIONS });
  deps.logger.info(
    {
      callId,
      version: state.version,
      replacedLiveState: stored !== undefined,
      enteredStasis: rebuilt.enteredStasis,
    },
    "call re-processed from Asterisk's records",
  );
  return {
    callId,
    outcome: "queued",
    version: state.version,
    replacedLiveState: stored !== undefined,
    summary,
    ...timing,
  };
}

/**
 * A call the workers failed for good is re-opened exactly like `POST /calls/:id/reprocess` does it
 * (core/calls/reprocessRequest.ts): under the call's lock a worker clears the failed mark and the
 * attempts and keeps what the CRM already has. Its live state is kept when it still exists (it
 * knows more than CEL); an expired one is replaced by the rebuilt state.
 */
async function reopenFailed(
  deps: Omit<ReprocessDeps, "records" | "rebuildOptions">,
  rebuilt: RebuiltCall,
  failure: string,
  extra: Pick<CallResult, "summary" | "readMs" | "buildMs">,
): Promise<CallResult> {
  const { callId } = rebuilt.state;
  let stored = await deps.store.get(callId);
  if (!stored) {
    const state = { ...rebuilt.state, rebuiltAt: (deps.now?.() ?? new Date()).toISOString() };
    if (!(await deps.store.put(state, null))) stored = await deps.store.get(callId);
  }
  const now = () => (deps.now?.() ?? new Date()).getTime();
  const request = await requestReprocess(
    { redis: deps.redis, keys: deps.keys, queue: deps.queue, now },
    callId,
  );
  if (request.status !== "queued") {
    return { callId, outcome: "failed", reason: `${failure} (not re-opened: ${request.status})`, ...extra };
  }
  deps.logger.info({ callId, previous: failure }, "failed call re-opened from /pbx/read_call");
  return { callId, outcome: "reopened", reason: `failed before: ${failure}`, ...extra };
}

function summaryOf(rebuilt: RebuiltCall): CallSummary {
  const { state } = rebuilt;
  const answeredBy = state.conversations.at(-1)?.extension;
  return {
    direction: state.direction,
    clientNumber: state.clientNumber,
    lineNumber: state.lineNumber,
    status: statusCode(state),
    talkSec: talkDurationSec(state),
    ...(answeredBy !== undefined ? { answeredBy } : {}),
    enteredStasis: rebuilt.enteredStasis,
  };
}

interface JournalView {
  deliveredAt?: string;
  bxCallId?: string;
  skipped?: string;
  failed?: string;
}

/**
 * The few facts of the workers' step journal re-processing needs (workers/calls/journal.ts owns the
 * format): delivered, skipped or failed for good. An unreadable journal counts as none.
 */
function journalView(json: string | null): JournalView {
  if (!json) return {};
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return {};
  }
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const reason = (v: unknown) => text((v as { reason?: unknown } | undefined)?.reason);
  const view: JournalView = {};
  if (text(j.deliveredAt)) view.deliveredAt = text(j.deliveredAt);
  if (text(j.bxCallId)) view.bxCallId = text(j.bxCallId);
  if (j.skipped) view.skipped = reason(j.skipped) ?? "skipped";
  if (j.failed) view.failed = reason(j.failed) ?? "failed";
  return view;
}

function ms(value: number): number {
  return Math.round(value * 10) / 10;
}
