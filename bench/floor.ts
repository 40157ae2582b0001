import type { ExpectedCrm } from "./expectations.ts";

/**
 * The floor a leaky-bucket rate limit puts under any connector: with burst B and drain D per second,
 * R requests cannot finish sooner than `max(0, R - B) / D` seconds, however fast the portal answers.
 */

export interface BucketShape {
  burst: number;
  drainPerSec: number;
}

/** The `standard` cloud plan: burst 50, 2 requests per second. */
export const STANDARD_PLAN: BucketShape = { burst: 50, drainPerSec: 2 };
export const BATCH_MAX_COMMANDS = 50;

export interface WorkNeeded {
  /** Batchable commands: register + finish per call, attachRecord per recording. */
  commands: number;
  /** Recording uploads: one request each, outside any batch (none with `crm.recordDelivery: "url"`). */
  uploads: number;
}

/** `url`: attachRecord RECORD_URL is a batched command like any other, and there is no upload. */
export function workNeeded(
  expected: readonly ExpectedCrm[],
  recordDelivery: "upload" | "url" = "upload",
): WorkNeeded {
  const recordings = expected.filter((e) => e.recording).length;
  return {
    commands: expected.length * 2 + recordings,
    uploads: recordDelivery === "upload" ? recordings : 0,
  };
}

/** The fewest requests that carry the work: full batches of 50, plus one per upload. */
export function requestsNeeded(work: WorkNeeded, batchMax = BATCH_MAX_COMMANDS): number {
  return Math.ceil(work.commands / batchMax) + work.uploads;
}

export function rateLimitFloorSec(requests: number, bucket: BucketShape = STANDARD_PLAN): number {
  return Math.max(0, requests - bucket.burst) / bucket.drainPerSec;
}
