import type { Redis } from "ioredis";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { StepJournal } from "./journal.ts";

/**
 * The worker's half of "re-process a failed call" (the HTTP API's half is in
 * core/calls/reprocessRequest.ts): under the call's lock, a pending request clears the
 * failed mark and the attempt count — and nothing else. The register/finish facts stay, so the
 * reconcile that follows only sends what the CRM still lacks (an unanswered step is verified first).
 */

/** How many earlier failures a journal keeps for the admin. */
const KEPT_FAILURES = 5;

export interface ReprocessDeps {
  redis: Redis;
  keys: RedisKeys;
  metrics: Metrics;
  logger: Logger;
}

/**
 * The re-opened journal when an admin asked to re-process this failed call; undefined otherwise. The
 * request is not compared with the failure's time: the app and the workers may run on hosts whose
 * clocks differ, and a request is used up (deleted) as soon as it re-opened the call.
 */
export async function takeReprocessRequest(
  deps: ReprocessDeps,
  journal: StepJournal,
  now: Date,
): Promise<StepJournal | undefined> {
  if (!journal.failed) return undefined;
  const requested = await deps.redis.exists(deps.keys.reprocessRequest(journal.callId));
  return requested ? reopened(journal, now) : undefined;
}

/** Stored the re-opened journal: the request is used up, the call leaves the failed index for good. */
export async function reprocessTaken(deps: ReprocessDeps, journal: StepJournal): Promise<void> {
  const { redis, keys, metrics, logger } = deps;
  await redis
    .multi()
    .zrem(keys.failedCalls, journal.callId)
    .del(keys.reprocessRequest(journal.callId))
    .exec();
  await metrics.count("calls.reprocessed");
  const previous = journal.previousFailures?.at(-1);
  logger.info(
    { callId: journal.callId, previous: previous?.reason },
    "failed call re-opened for re-processing",
  );
}

/** PURE: the failed mark moves to `previousFailures`; attempts and the hold clock start again. */
export function reopened(journal: StepJournal, now: Date): StepJournal {
  const { failed, heldSince: _held, ...rest } = structuredClone(journal);
  if (!failed) return journal;
  const entry = { ...failed, reprocessedAt: now.toISOString() };
  return {
    ...rest,
    attempts: 0,
    previousFailures: [...(rest.previousFailures ?? []), entry].slice(-KEPT_FAILURES),
  };
}
