import type { Redis } from "ioredis";
import type { Config } from "../../core/config/schema.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { CallState } from "../../core/calls/types.ts";
import { observeDelivered } from "../../core/metrics/callMetrics.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import { prom } from "../../core/metrics/promMetrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { DeliveryError } from "../delivery/deliveryError.ts";
import type { CrmErrorInfo } from "../delivery/types.ts";
import type { JournalStep, JournalStore, StepJournal } from "./journal.ts";

/**
 * How a reconcile ends, and the records a call's end leaves: the journal mark first (fenced by the
 * lock), then the delivered/failed index (and out of `undeliveredCalls`) and the counters. A crash in
 * between leaves the journal saying what happened; the next reconcile finds that mark and applies the
 * records again — idempotent (ZADD), and counted only when the ZADD did add the call.
 */

export type ReconcileOutcome =
  /** Another worker holds the call: it comes back soon (the lock was lost, or its holder stays busy). */
  | { status: "locked" }
  /** Another worker holds the call and reconciles it once more when done (work left on the lock). */
  | { status: "handedOver" }
  | { status: "noState" }
  | { status: "waiting"; waitFor: string }
  | { status: "delivered" }
  | { status: "skipped"; reason: string }
  | { status: "failed"; reason: string }
  /** `held`: nothing was sent because delivery is on hold; the job may come back as soon as it clears. */
  | { status: "retry"; delayMs: number; error: CrmErrorInfo; held?: true };

export interface OutcomeDeps {
  config: { workers: Pick<Config["workers"], "jobAttempts" | "jobBackoffMs" | "maxHoldSec"> };
  redis: Redis;
  keys: RedisKeys;
  journals: JournalStore;
  metrics: Metrics;
  logger: Logger;
  now: () => Date;
  random: () => number;
  /** Runs right after a call is marked failed (the onCallFailed hooks); never throws. */
  afterFail?: (journal: StepJournal, token: string) => Promise<void>;
}

export class CallOutcomes {
  constructor(private readonly deps: OutcomeDeps) {}

  /** Marks the journal delivered (once), then (again) the delivered index. */
  async delivered(journal: StepJournal, token: string, call?: CallState): Promise<ReconcileOutcome> {
    const at = journal.deliveredAt ?? this.deps.now().toISOString();
    if (!journal.deliveredAt) await this.deps.journals.put({ ...journal, deliveredAt: at }, token);
    if (await this.settle(this.deps.keys.deliveredCalls, journal.callId, Date.parse(at))) {
      await this.deps.metrics.count("calls.processed");
      if (call) observeDelivered(this.deps.metrics, call, new Date(at));
      this.deps.logger.info({ callId: journal.callId, bxCallId: journal.bxCallId }, "call delivered");
    }
    return { status: "delivered" };
  }

  async skip(journal: StepJournal, token: string, reason: string): Promise<ReconcileOutcome> {
    await this.deps.journals.put(
      { ...journal, skipped: { reason, at: this.deps.now().toISOString() } },
      token,
    );
    await this.deps.redis.zrem(this.deps.keys.undeliveredCalls, journal.callId);
    await this.deps.metrics.count("calls.skipped");
    this.deps.logger.info({ callId: journal.callId, reason }, "call skipped");
    return { status: "skipped", reason };
  }

  /** The journal says skipped already: only the sweeper's index is (again) cleared. */
  async skippedBefore(
    journal: StepJournal & Required<Pick<StepJournal, "skipped">>,
  ): Promise<ReconcileOutcome> {
    await this.deps.redis.zrem(this.deps.keys.undeliveredCalls, journal.callId);
    return { status: "skipped", reason: journal.skipped.reason };
  }

  async fail(
    journal: StepJournal,
    token: string,
    step: JournalStep,
    error: CrmErrorInfo,
  ): Promise<ReconcileOutcome> {
    const reason = `${step}: ${error.code}: ${error.description}`;
    const failed = { reason, code: error.code, at: this.deps.now().toISOString(), step };
    const next = { ...journal, failed };
    await this.deps.journals.put(next, token);
    await this.deps.afterFail?.(next, token);
    return this.failedBefore(next);
  }

  /** The failed index and counters of a journal marked failed (again after a crash: counted once). */
  async failedBefore(
    journal: StepJournal & Required<Pick<StepJournal, "failed">>,
  ): Promise<ReconcileOutcome> {
    const { reason, code, at, step } = journal.failed;
    if (await this.settle(this.deps.keys.failedCalls, journal.callId, Date.parse(at))) {
      await this.deps.metrics.count("calls.failed");
      await this.deps.metrics.count(`errors.${code}`);
      prom.failures.inc({ code });
      this.deps.logger.error({ callId: journal.callId, step, code, reason }, "call failed");
    }
    return { status: "failed", reason };
  }

  /** Retries exhausted inside the pipeline: retry the job later, or give up after `workers.jobAttempts`. */
  async deliveryFailed(journal: StepJournal, token: string, err: DeliveryError): Promise<ReconcileOutcome> {
    if (err.reason === "permanent_error" || err.reason === "invalid_group") {
      return this.fail(journal, token, stepInFlight(journal), err.lastError);
    }
    return this.retryOrFail(journal, token, stepInFlight(journal), err.lastError);
  }

  /**
   * Delivery is on hold cluster-wide (credentials refused, OVERLOAD_LIMIT, …): nothing was sent. The
   * job comes back just after the hold's next probe, with jitter, and no attempt is counted — a hold
   * never fails a call. Only a hold longer than `workers.maxHoldSec` for this call fails it (code
   * HELD_TOO_LONG), while its state still exists, so an admin can re-process it.
   */
  async held(journal: StepJournal, token: string, err: DeliveryError): Promise<ReconcileOutcome> {
    const now = this.deps.now();
    const since = journal.heldSince ?? now.toISOString();
    const heldSec = (now.getTime() - Date.parse(since)) / 1000;
    const cause = `${err.lastError.code}: ${err.lastError.description}`;
    if (heldSec >= this.deps.config.workers.maxHoldSec) {
      const error: CrmErrorInfo = {
        code: "HELD_TOO_LONG",
        description: `delivery held for ${Math.round(heldSec / 60)} min (workers.maxHoldSec); cause ${cause}`,
        retryable: false,
      };
      return this.fail({ ...journal, heldSince: since }, token, stepInFlight(journal), error);
    }
    if (!journal.heldSince) await this.deps.journals.put({ ...journal, heldSince: since }, token);
    await this.deps.metrics.count("calls.held");
    const delayMs = holdDelayMs(err.retryAfterMs, this.deps.random);
    this.deps.logger.info(
      { callId: journal.callId, delayMs, code: err.lastError.code, heldSince: since },
      "delivery on hold, the job comes back after the next probe",
    );
    return { status: "retry", delayMs, error: err.lastError, held: true };
  }

  /**
   * A step that another attempt may get through: the job comes back after an exponential backoff
   * (`workers.jobBackoffMs`); after `workers.jobAttempts` the call is failed with `step` and `error`.
   */
  async retryOrFail(
    journal: StepJournal,
    token: string,
    step: JournalStep,
    error: CrmErrorInfo,
  ): Promise<ReconcileOutcome> {
    const attempts = journal.attempts + 1;
    const { jobAttempts, jobBackoffMs } = this.deps.config.workers;
    if (attempts >= jobAttempts) return this.fail({ ...journal, attempts }, token, step, error);
    await this.deps.metrics.count(`errors.${error.code}`);
    prom.retries.inc({ code: error.code });
    await this.deps.journals.put({ ...journal, attempts }, token);
    const base = Math.min(jobBackoffMs * 2 ** (attempts - 1), 10 * 60_000);
    const delayMs = Math.round(base * (0.5 + 0.5 * this.deps.random()));
    this.deps.logger.warn(
      { callId: journal.callId, attempts, delayMs, step, code: error.code },
      "delivery failed, the job comes back",
    );
    return { status: "retry", delayMs, error };
  }

  /**
   * Adds the call to an end-of-call index and takes it out of `undeliveredCalls`, in one step. True
   * when the call was not in the index yet (then the caller counts it).
   */
  private async settle(index: string, callId: string, atMs: number): Promise<boolean> {
    const replies = await this.deps.redis
      .multi()
      .zadd(index, atMs, callId)
      .zrem(this.deps.keys.undeliveredCalls, callId)
      .exec();
    const [zaddError, added] = replies?.[0] ?? [new Error("MULTI aborted"), 0];
    if (zaddError) throw zaddError;
    return Number(added) === 1;
  }
}

/** When a held delivery names no probe time. */
const HOLD_FALLBACK_MS = 30_000;

/**
 * Just after the hold's next probe (so its result is known), spread by up to 20 % (at most 5 s) so
 * the held calls of a whole cluster do not come back in one burst while the hold lasts. When a probe
 * clears it, the clearing worker promotes them all at once (workers' concurrency and the limiter pace
 * that burst): a fixed portal should not wait for the schedule.
 */
export function holdDelayMs(retryAfterMs: number | undefined, random: () => number): number {
  const base = Math.max(1_000, retryAfterMs ?? HOLD_FALLBACK_MS);
  return Math.round(base + random() * Math.min(5_000, base * 0.2));
}

/** An unanswered request may still run at the portal: come back after `delayMs`. */
export class NotYet extends Error {
  readonly info: CrmErrorInfo;
  constructor(readonly delayMs: number) {
    super(`postponed by ${delayMs} ms: an earlier request may still run at the portal`);
    this.info = {
      code: "IN_FLIGHT",
      description: "an earlier request may still be running at the portal",
      retryable: true,
    };
  }
}

/** The step an unanswered intent points at (for the failure record). */
export function stepInFlight(journal: StepJournal): JournalStep {
  if (!journal.register.doneAt) return "register";
  if (!journal.finish?.doneAt) return journal.finish?.intentAt ? "finish" : "cards";
  return "record";
}
