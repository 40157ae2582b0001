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
 * first is kept. BullMQ forbids ':' in custom ids.
 */
export function lifecycleJobId(callId: string, version: number): string {
  return `${callId.replace(/:/g, "_")}-v${version}`;
}
