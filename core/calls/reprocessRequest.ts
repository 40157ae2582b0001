import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { LIFECYCLE_JOB_OPTIONS, reprocessJobId, type LifecycleJob } from "../jobs/lifecycle.ts";
import type { RedisKeys } from "../redis/keys.ts";
import { CallStore, ENDED_CALL_TTL_SEC } from "./callStore.ts";

/**
 * "Re-process this failed call" (the admin API's `POST /calls/:id/reprocess`, and tools): the call
 * leaves the failed index at once, a request marker tells the next worker to clear the journal's
 * failed mark under the call's lock (workers/calls/reprocessRequest.ts), and a `reprocess` job is
 * queued. The journal's register/finish facts stay, so re-processing never sends what the CRM has.
 * The call also goes back into `undeliveredCalls`: should the job be lost, the sweeper queues it again.
 */

export type ReprocessStatus =
  /** The call was failed; it is re-opened and queued. */
  | "queued"
  /** Nothing is known about this call id. */
  | "notFound"
  /** The call is not failed (delivered, skipped, or still in progress): nothing to re-process. */
  | "notFailed"
  /** Failed, but its state has expired: only a re-build from Asterisk's CDR/CEL can bring it back. */
  | "noState";

export interface ReprocessResult {
  callId: string;
  status: ReprocessStatus;
}

export interface ReprocessRequestDeps {
  redis: Redis;
  keys: RedisKeys;
  queue: Pick<Queue, "add">;
  now?: () => number;
}

export async function requestReprocess(deps: ReprocessRequestDeps, callId: string): Promise<ReprocessResult> {
  const { redis, keys } = deps;
  const [state, journalJson, failedScore] = await Promise.all([
    new CallStore(redis, keys).get(callId),
    redis.get(keys.journal(callId)),
    redis.zscore(keys.failedCalls, callId),
  ]);
  const failedMark = journalFailed(journalJson);
  if (!state && journalJson === null && failedScore === null) return { callId, status: "notFound" };
  if (!failedMark && failedScore === null) return { callId, status: "notFailed" };
  if (!state) return { callId, status: "noState" };
  const nowMs = (deps.now ?? Date.now)();
  await redis
    .multi()
    .set(keys.reprocessRequest(callId), String(nowMs), "EX", ENDED_CALL_TTL_SEC)
    .zrem(keys.failedCalls, callId)
    .zadd(keys.undeliveredCalls, nowMs, callId)
    .exec();
  const data: LifecycleJob = {
    callId,
    version: state.version,
    kind: "reprocess",
    at: new Date(nowMs).toISOString(),
  };
  await deps.queue.add("reprocess", data, { ...LIFECYCLE_JOB_OPTIONS, jobId: reprocessJobId(callId, nowMs) });
  return { callId, status: "queued" };
}

/** Ids of the calls that failed between `fromMs` and `toMs` (inclusive), oldest first, at most `limit`. */
export async function failedBetween(
  deps: Pick<ReprocessRequestDeps, "redis" | "keys">,
  fromMs: number,
  toMs: number,
  limit: number,
): Promise<string[]> {
  return deps.redis.zrangebyscore(deps.keys.failedCalls, fromMs, toMs, "LIMIT", 0, limit);
}

function journalFailed(json: string | null): boolean {
  if (json === null) return false;
  try {
    const failed = (JSON.parse(json) as { failed?: unknown } | null)?.failed;
    return typeof failed === "object" && failed !== null;
  } catch {
    return false;
  }
}
