import type { Redis } from "ioredis";
import type { Config } from "../../core/config/schema.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { DeliveryError } from "../delivery/deliveryError.ts";
import type { CrmErrorInfo } from "../delivery/types.ts";
import type { JournalStep, JournalStore, StepJournal } from "./journal.ts";

/**
 * How a reconcile ends, and the records a call's end leaves: the journal mark first (fenced by the
 * lock), then the delivered/failed index and the counters, so a crash in between leaves the journal
 * saying what happened.
 */

export type ReconcileOutcome =
  | { status: "locked" }
  | { status: "noState" }
  | { status: "waiting"; waitFor: string }
  | { status: "delivered" }
  | { status: "skipped"; reason: string }
  | { status: "failed"; reason: string }
  | { status: "retry"; delayMs: number; error: CrmErrorInfo };

export interface OutcomeDeps {
  config: { workers: Pick<Config["workers"], "jobAttempts" | "jobBackoffMs"> };
  redis: Redis;
  keys: RedisKeys;
  journals: JournalStore;
  metrics: Metrics;
  logger: Logger;
  now: () => Date;
  random: () => number;
}

export class CallOutcomes {
  constructor(private readonly deps: OutcomeDeps) {}

  async delivered(journal: StepJournal, token: string): Promise<ReconcileOutcome> {
    if (journal.deliveredAt) return { status: "delivered" };
    const now = this.deps.now();
    await this.deps.journals.put({ ...journal, deliveredAt: now.toISOString() }, token);
    await this.deps.redis.zadd(this.deps.keys.deliveredCalls, now.getTime(), journal.callId);
    await this.deps.metrics.count("calls.processed");
    this.deps.logger.info({ callId: journal.callId, bxCallId: journal.bxCallId }, "call delivered");
    return { status: "delivered" };
  }

  async skip(journal: StepJournal, token: string, reason: string): Promise<ReconcileOutcome> {
    await this.deps.journals.put(
      { ...journal, skipped: { reason, at: this.deps.now().toISOString() } },
      token,
    );
    await this.deps.metrics.count("calls.skipped");
    this.deps.logger.info({ callId: journal.callId, reason }, "call skipped");
    return { status: "skipped", reason };
  }

  async fail(
    journal: StepJournal,
    token: string,
    step: JournalStep,
    error: CrmErrorInfo,
  ): Promise<ReconcileOutcome> {
    const now = this.deps.now();
    const reason = `${step}: ${error.code}: ${error.description}`;
    const failed = { reason, code: error.code, at: now.toISOString(), step };
    await this.deps.journals.put({ ...journal, failed }, token);
    await this.deps.redis.zadd(this.deps.keys.failedCalls, now.getTime(), journal.callId);
    await this.deps.metrics.count("calls.failed");
    await this.deps.metrics.count(`errors.${error.code}`);
    this.deps.logger.error({ callId: journal.callId, step, code: error.code, reason }, "call failed");
    return { status: "failed", reason };
  }

  /** Retries exhausted inside the pipeline: retry the job later, or give up after `workers.jobAttempts`. */
  async deliveryFailed(journal: StepJournal, token: string, err: DeliveryError): Promise<ReconcileOutcome> {
    await this.deps.metrics.count(`errors.${err.lastError.code}`);
    if (err.reason === "permanent_error" || err.reason === "invalid_group") {
      return this.fail(journal, token, stepInFlight(journal), err.lastError);
    }
    const attempts = journal.attempts + 1;
    const { jobAttempts, jobBackoffMs } = this.deps.config.workers;
    if (attempts >= jobAttempts)
      return this.fail({ ...journal, attempts }, token, stepInFlight(journal), err.lastError);
    await this.deps.journals.put({ ...journal, attempts }, token);
    const base = Math.min(jobBackoffMs * 2 ** (attempts - 1), 10 * 60_000);
    const delayMs = Math.round(base * (0.5 + 0.5 * this.deps.random()));
    this.deps.logger.warn(
      { callId: journal.callId, attempts, delayMs, code: err.lastError.code },
      "delivery failed",
    );
    return { status: "retry", delayMs, error: err.lastError };
  }
}

/** The statistics cannot answer yet: come back after `delayMs`. */
export class NotYet extends Error {
  readonly info: CrmErrorInfo;
  constructor(readonly delayMs: number) {
    super(`statistic check postponed by ${delayMs} ms`);
    this.info = {
      code: "IN_FLIGHT",
      description: "an earlier request may still be running at the portal",
      retryable: true,
    };
  }
}

/** The step an unanswered intent points at (for the failure record). */
function stepInFlight(journal: StepJournal): JournalStep {
  if (!journal.register.doneAt) return "register";
  if (!journal.finish?.doneAt) return journal.finish?.intentAt ? "finish" : "cards";
  return "record";
}
