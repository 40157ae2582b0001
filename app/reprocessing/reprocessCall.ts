import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { CallStore } from "../../core/calls/callStore.ts";
import { statusCode, talkDurationSec } from "../../core/calls/decisions/index.ts";
import type { CallState } from "../../core/calls/types.ts";
import { LIFECYCLE_JOB_OPTIONS, lifecycleJobId, type LifecycleJob } from "../../core/jobs/lifecycle.ts";
import type { Logger } from "../../core/logging/logger.ts";
import { rebuildCall, type RebuildOptions, type RebuiltCall } from "../../core/records/buildCall.ts";
import type { CallRecords } from "../../core/records/callRecords.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { CallResult, CallSummary } from "./runStore.ts";

/**
 * Re-processing of one call: rebuild it from Asterisk's records and hand it to the workers exactly
 * like a live call — store the state (a version above anything stored) and publish a `reprocess`
 * lifecycle job. The workers' journal decides what the CRM still lacks, so a call already in the CRM
 * gets nothing; such calls are not even written again.
 */

export interface ReprocessDeps {
  records: { callRecords(linkedId: string): Promise<CallRecords> };
  store: Pick<CallStore, "get" | "put">;
  queue: Pick<Queue, "add">;
  redis: Pick<Redis, "get">;
  keys: Pick<RedisKeys, "journal">;
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
  if (journal.failed) return { callId, outcome: "failed", reason: journal.failed, summary, ...timing };

  const stored = await deps.store.get(callId);
  const state: CallState = {
    ...rebuilt.state,
    version: Math.max(rebuilt.state.version, (stored?.version ?? 0) + 1),
  };
  if (!(await deps.store.put(state, stored?.version ?? null))) {
    return {
      callId,
      outcome: "error",
      reason: "a newer state of the call was stored meanwhile; run it again",
      ...timing,
    };
  }
  const at = (deps.now?.() ?? new Date()).toISOString();
  const job: LifecycleJob = { callId, version: state.version, kind: "reprocess", at };
  await deps.queue.add(job.kind, job, {
    jobId: lifecycleJobId(callId, state.version),
    ...LIFECYCLE_JOB_OPTIONS,
  });
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
