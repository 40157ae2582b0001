import { randomBytes } from "node:crypto";
import type { Queue } from "bullmq";

/**
 * The audit job contract between whoever asks for an audit (the app's `POST /audit`, the schedule)
 * and the workers that run it: one BullMQ queue, one job per run, the run's id chosen by the asker so
 * it can answer with it at once.
 */

export const AUDIT_QUEUE = "itgrix-audit";
/** The job scheduler's id: every worker process upserts the same one, so one schedule runs. */
export const AUDIT_SCHEDULER_ID = "itgrix-audit-schedule";

export interface AuditJob {
  id: string;
  trigger: "schedule" | "request";
  /** ISO-8601; absent: the configured period ending `audit.settleMinutes` ago. */
  from?: string;
  to?: string;
}

export const AUDIT_ID_PATTERN = /^a-[0-9]{14}-[0-9a-f]{8}$/;

export function newAuditId(now = new Date()): string {
  const stamp = now.toISOString().replace(/\D/g, "").slice(0, 14);
  return `a-${stamp}-${randomBytes(4).toString("hex")}`;
}

export const AUDIT_JOB_OPTIONS = {
  attempts: 1,
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

export async function requestAudit(
  queue: Pick<Queue, "add">,
  period: { from?: string; to?: string } = {},
): Promise<AuditJob> {
  const job: AuditJob = { id: newAuditId(), trigger: "request", ...period };
  await queue.add("audit", job, { ...AUDIT_JOB_OPTIONS, jobId: job.id });
  return job;
}
