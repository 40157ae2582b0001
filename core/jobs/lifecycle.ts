/**
 * Call lifecycle jobs: the only messages between app/ (producer) and workers/ (consumers).
 *
 * A job says "call X changed to version V because of K". Workers reconcile: they read the call's
 * current state from Redis (core/calls/callStore.ts) and send the CRM what it still lacks, so a job
 * that is duplicated, late or out of order does no harm.
 */

export const LIFECYCLE_QUEUE = "itgrix-lifecycle";

/** What changed; the job's BullMQ name. */
export type LifecycleKind =
  | "callStarted"
  | "operatorRinging"
  | "answered"
  | "transfer"
  | "ended"
  | "recordingReady"
  | "ivrMissed"
  | "changed"
  | "reprocess";

export interface LifecycleJob {
  callId: string;
  /** CallState.version after the change; together with callId it is the job's identity. */
  version: number;
  kind: LifecycleKind;
  /** When the app observed the change (ISO-8601). */
  at: string;
}

/**
 * Stable job id: re-publishing the same (callId, version) never creates a second job while the
 * first is kept (10 minutes after completion). BullMQ forbids ':' in custom ids.
 */
export function lifecycleJobId(callId: string, version: number): string {
  return `${callId.replace(/:/g, "_")}-v${version}`;
}

/**
 * Options of every lifecycle job (the app's and the sweeper's). The consumer puts a job back on its own
 * for a held lock or a delivery failure (not counted as an attempt); `attempts` covers what it cannot
 * foresee — an unexpected error (Redis hiccup, a bug) is retried with exponential backoff, and on the
 * last attempt the call is recorded as failed with the error.
 */
export const LIFECYCLE_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: "exponential", delay: 1_000 },
  // Kept only to absorb a re-publish of the same (callId, version); a late duplicate after that is a
  // harmless extra reconcile. ~16 KB per call: an hour of them was 2/3 of Redis in the soak.
  removeOnComplete: { age: 600 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/** The sweeper's job for a call: one id per call and sweep minute, so one round adds it once. */
export function sweepJobId(callId: string, minute: string): string {
  return `${callId.replace(/:/g, "_")}-sweep-${minute}`;
}

/** An admin's re-processing request for a call: one id per call and request time. */
export function reprocessJobId(callId: string, requestedAtMs: number): string {
  return `${callId.replace(/:/g, "_")}-reprocess-${requestedAtMs}`;
}
