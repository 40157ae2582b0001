import { DelayedError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { LIFECYCLE_QUEUE, type LifecycleJob } from "../../core/jobs/lifecycle.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { CallReconciler, ReconcileOutcome } from "./reconcileCall.ts";

/**
 * The BullMQ consumer of lifecycle jobs. A job only names a call: the reconciler does the rest. The
 * job is acknowledged (the processor returns) only after the reconciler has written the journal; a
 * call locked by another worker, or a delivery failure, puts the job back as delayed. An unexpected
 * error fails the attempt: BullMQ tries again with backoff, and the last attempt records the call as
 * failed (`CallReconciler.jobFailed`).
 */
export interface LifecycleConsumerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  /** BullMQ job lock; a job of a dead worker is taken up again after about this long. */
  lockDurationMs?: number;
  reconciler: Pick<CallReconciler, "reconcile" | "jobFailed">;
  logger: Logger;
  random?: () => number;
  /**
   * Whether a held job must still wait for the hold's next probe. It is put back to wait for it; a
   * hold that cleared, or credentials reloaded, while it was being put back would leave it waiting up
   * to `probeMaxMs` for nothing.
   */
  holdBlocks?: () => Promise<boolean>;
}

export interface LifecycleConsumer {
  readonly worker: Worker<LifecycleJob>;
  /** Jobs being processed right now. */
  inFlight(): number;
  /** Stops taking jobs, waits for the ones in flight. */
  close(): Promise<void>;
}

export function startLifecycleConsumer(options: LifecycleConsumerOptions): LifecycleConsumer {
  const random = options.random ?? Math.random;
  let inFlight = 0;

  async function process(job: Job<LifecycleJob>, token?: string): Promise<ReconcileOutcome> {
    const { callId } = job.data;
    inFlight++;
    let outcome: ReconcileOutcome;
    try {
      outcome = await options.reconciler.reconcile(callId);
    } catch (err) {
      // BullMQ retries the job (attempts, backoff); the last attempt records the call as failed.
      await options.reconciler.jobFailed(callId, err, isLastAttempt(job)).catch(() => undefined);
      throw err;
    } finally {
      inFlight--;
    }
    const delayMs = delayOf(outcome, random);
    if (delayMs === undefined) {
      options.logger.debug({ callId, job: job.id, outcome: outcome.status }, "lifecycle job done");
      return outcome;
    }
    await job.moveToDelayed(Date.now() + delayMs, token);
    if (outcome.status === "retry" && outcome.held) await comeBackIfHoldLifted(job);
    throw new DelayedError();
  }

  /**
   * A cleared hold or a reload promotes the delayed jobs; this covers a job put back just after that
   * promotion (it was still running then).
   */
  async function comeBackIfHoldLifted(job: Job<LifecycleJob>): Promise<void> {
    if (!options.holdBlocks || (await options.holdBlocks().catch(() => true))) return;
    await job.promote().catch(() => undefined); // already promoted meanwhile
  }

  const worker = new Worker<LifecycleJob>(LIFECYCLE_QUEUE, process, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    // a job only says "reconcile call X": running it again after a crash is harmless
    maxStalledCount: 10,
    ...(options.lockDurationMs
      ? { lockDuration: options.lockDurationMs, stalledInterval: options.lockDurationMs }
      : {}),
  });
  worker.on("failed", (job, err) => {
    options.logger.error(
      { callId: job?.data.callId, job: job?.id, err: err.message },
      "lifecycle job failed",
    );
  });
  worker.on("error", (err) => {
    options.logger.error({ err: err.message }, "lifecycle worker error");
  });

  return {
    worker,
    inFlight: () => inFlight,
    close: () => worker.close(),
  };
}

/** The consumer's own delays (moveToDelayed) are not attempts; only failures count. */
function isLastAttempt(job: Job<LifecycleJob>): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/**
 * When the job should come back. A locked call's holder reconciles it once more itself (the work
 * left on the lock), so this job only covers a holder that died or ended in a retry: in 1–2 s, not
 * polling the lock (that polling was most of Redis's load under a delivery backlog).
 */
function delayOf(outcome: ReconcileOutcome, random: () => number): number | undefined {
  if (outcome.status === "locked") return 1_000 + Math.floor(random() * 1_000);
  if (outcome.status === "retry") return outcome.delayMs;
  return undefined;
}
