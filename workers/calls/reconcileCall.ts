import type { Redis } from "ioredis";
import type { CallStore } from "../../core/calls/callStore.ts";
import type { CallState } from "../../core/calls/types.ts";
import type { Config } from "../../core/config/schema.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import { DeliveryError } from "../delivery/deliveryError.ts";
import type { CommandGroup, CrmErrorInfo, CrmFileDelivery } from "../delivery/types.ts";
import { applyAnswers, withIntents } from "./applyAnswers.ts";
import type { CallLocks } from "./callLock.ts";
import { emptyJournal, type JournalStep, type JournalStore, type StepJournal } from "./journal.ts";
import { planSteps, type CallDirectory } from "./planSteps.ts";
import { RecordingStep } from "./recordingUpload.ts";
import { applyStatistic, findStatisticRecord, statisticGroup } from "./statisticCheck.ts";

/**
 * The reconciler: under the call's lock, read the call state and its journal, plan what the CRM still
 * lacks, send it, write the answers into the journal, and repeat until nothing is left. Jobs only say
 * "look at call X"; a duplicate, late or retried job finds nothing to do.
 */

export interface ReconcileDirectory extends CallDirectory {
  /** Refreshes the directory when one of these extensions is unknown (rate-limited inside). */
  refreshOnMiss(extensions: string[]): Promise<void>;
}

export interface ReconcilerDeps {
  config: Pick<Config, "crm" | "numbers" | "recording" | "workers"> & {
    bitrix: Pick<Config["bitrix"], "requestTimeoutMs">;
    http?: Pick<Config["http"], "publicUrl" | "signingKey" | "recordLinkTtlSec">;
  };
  redis: Redis;
  keys: RedisKeys;
  calls: CallStore;
  journals: JournalStore;
  locks: CallLocks;
  /** Batches and recording uploads, both behind the cluster limiter. */
  delivery: CrmFileDelivery;
  directory: ReconcileDirectory;
  metrics: Metrics;
  logger: Logger;
  now?: () => Date;
  random?: () => number;
}

export type ReconcileOutcome =
  | { status: "locked" }
  | { status: "noState" }
  | { status: "waiting"; waitFor: string }
  | { status: "delivered" }
  | { status: "skipped"; reason: string }
  | { status: "failed"; reason: string }
  | { status: "retry"; delayMs: number; error: CrmErrorInfo };

/** Plan → send → store rounds per job; a call needs at most ~4 (register, cards, finish, record). */
const MAX_ROUNDS = 8;

/** A round's verdict: go on planning, or stop with this outcome. */
type Round = { next: true; journal: StepJournal } | { next: false; outcome: ReconcileOutcome };

export class CallReconciler {
  private readonly now: () => Date;
  private readonly recording: RecordingStep;

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.recording = new RecordingStep({ ...deps, spoolDir: deps.config.recording.spoolDir, now: this.now });
  }

  async reconcile(callId: string): Promise<ReconcileOutcome> {
    const lock = await this.deps.locks.acquire(callId);
    if (!lock) return { status: "locked" };
    try {
      return await this.underLock(callId, lock.token);
    } finally {
      await lock.release().catch(() => undefined);
    }
  }

  private async underLock(callId: string, token: string): Promise<ReconcileOutcome> {
    let journal = (await this.deps.journals.get(callId)) ?? emptyJournal(callId);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const call = await this.deps.calls.get(callId);
      if (!call) return { status: "noState" };
      try {
        const result = await this.round(call, journal, token);
        if (!result.next) return result.outcome;
        journal = result.journal;
      } catch (err) {
        if (err instanceof NotYet) return { status: "retry", delayMs: err.delayMs, error: err.info };
        if (!(err instanceof DeliveryError)) throw err;
        journal = (await this.deps.journals.get(callId)) ?? journal;
        return this.deliveryFailed(journal, token, err);
      }
    }
    this.deps.logger.warn({ callId }, "call still has steps after the round limit; the next job goes on");
    return { status: "waiting", waitFor: "nextJob" };
  }

  private async round(call: CallState, journal: StepJournal, token: string): Promise<Round> {
    const { directory, config } = this.deps;
    await directory.refreshOnMiss(extensionsOf(call));
    const plan = planSteps(call, journal, directory, config, this.now());
    if (plan.fail) return this.stop(await this.fail(journal, token, plan.fail.step, failInfo(plan.fail)));
    if (plan.skip) return this.stop(await this.skip(journal, token, plan.skip));
    if (plan.check === "statistic")
      return { next: true, journal: await this.checkStatistic(journal, token, true) };
    if (plan.recordSkip)
      return { next: true, journal: await this.skipRecord(journal, token, plan.recordSkip) };
    if (plan.groups.length === 0) {
      if (plan.done) return this.stop(await this.delivered(journal, token));
      if (journal.failed) return this.stop({ status: "failed", reason: journal.failed.reason });
      if (journal.skipped) return this.stop({ status: "skipped", reason: journal.skipped.reason });
      return this.stop({ status: "waiting", waitFor: plan.waitFor ?? "change" });
    }
    const unattachable = await this.recording.checkFile(call, journal, plan.groups);
    if (unattachable) {
      await this.deps.journals.put(unattachable, token);
      return { next: true, journal: unattachable };
    }
    for (const group of plan.groups) {
      const sent = await this.sendGroup(call, journal, group, token);
      if (!sent.next) return sent;
      journal = sent.journal;
    }
    return { next: true, journal };
  }

  /** Intents first, then the group, then the answers — each journal write fenced by the lock. */
  private async sendGroup(
    call: CallState,
    journal: StepJournal,
    group: CommandGroup,
    token: string,
  ): Promise<Round> {
    const at = () => this.now().toISOString();
    const hadFinishIntent = journal.finish?.intentAt !== undefined && journal.finish.doneAt === undefined;
    const intended = withIntents(journal, group, at(), call.recording?.file);
    await this.deps.journals.put(intended, token);
    const results = await this.deps.delivery.send(group);
    const outcome = applyAnswers(intended, group, results, at(), hadFinishIntent);
    let next = outcome.journal;
    for (const e of outcome.cardErrors) {
      this.deps.logger.warn(
        { callId: call.callId, code: e.code, error: e.description },
        "card command failed",
      );
      await this.deps.metrics.count(`errors.${e.code}`);
    }
    if (outcome.failure)
      return this.stop(await this.fail(next, token, outcome.failure.step, outcome.failure.error));
    if (outcome.retryable) {
      await this.deps.journals.put(next, token);
      throw new DeliveryError("retries_exhausted", outcome.retryable, 1);
    }
    if (outcome.checkStatistic) next = await this.checkStatistic(next, token, false);
    if (outcome.upload) next = await this.recording.upload(call, next, outcome.upload);
    if (next.attempts > 0) next.attempts = 0;
    await this.deps.journals.put(next, token);
    return { next: true, journal: next };
  }

  /**
   * Asks the portal whether an unanswered register(+finish) went through, and stores what it says.
   * `mayBeInFlight`: the unanswered request may still be running (a worker died while it was sent).
   */
  private async checkStatistic(
    journal: StepJournal,
    token: string,
    mayBeInFlight: boolean,
  ): Promise<StepJournal> {
    const [result] = await this.deps.delivery.send(statisticGroup(journal.callId));
    if (result && !result.ok && result.error.retryable)
      throw new DeliveryError("retries_exhausted", result.error, 1);
    if (result && !result.ok) {
      this.deps.logger.warn({ callId: journal.callId, code: result.error.code }, "statistic check failed");
    }
    const record = findStatisticRecord(journal.callId, result);
    this.deps.logger.info(
      { callId: journal.callId, found: record !== undefined },
      "statistic checked after a crash",
    );
    const pendingMs = mayBeInFlight ? this.inFlightWindowLeft(journal) : 0;
    if (!record && pendingMs > 0) throw new NotYet(pendingMs);
    const next = applyStatistic(journal, record, this.now().toISOString());
    await this.deps.journals.put(next, token);
    return next;
  }

  /**
   * A request the dead worker sent may still run at the portal until it would have timed out; only
   * after that does "no statistic record" prove that its register(+finish) did not happen.
   */
  private inFlightWindowLeft(journal: StepJournal): number {
    const intents = [journal.register.intentAt, journal.finish?.intentAt].filter(
      (t): t is string => t !== undefined,
    );
    if (intents.length === 0) return 0;
    const latest = Math.max(...intents.map((t) => Date.parse(t)));
    return latest + this.deps.config.bitrix.requestTimeoutMs - this.now().getTime();
  }

  private async skipRecord(journal: StepJournal, token: string, reason: string): Promise<StepJournal> {
    const next = structuredClone(journal);
    next.record = { file: "", ...next.record, error: reason };
    await this.deps.journals.put(next, token);
    return next;
  }

  private async delivered(journal: StepJournal, token: string): Promise<ReconcileOutcome> {
    if (journal.deliveredAt) return { status: "delivered" };
    const now = this.now();
    await this.deps.journals.put({ ...journal, deliveredAt: now.toISOString() }, token);
    await this.deps.redis.zadd(this.deps.keys.deliveredCalls, now.getTime(), journal.callId);
    await this.deps.metrics.count("calls.processed");
    this.deps.logger.info({ callId: journal.callId, bxCallId: journal.bxCallId }, "call delivered");
    return { status: "delivered" };
  }

  private async skip(journal: StepJournal, token: string, reason: string): Promise<ReconcileOutcome> {
    await this.deps.journals.put({ ...journal, skipped: { reason, at: this.now().toISOString() } }, token);
    await this.deps.metrics.count("calls.skipped");
    this.deps.logger.info({ callId: journal.callId, reason }, "call skipped");
    return { status: "skipped", reason };
  }

  private async fail(
    journal: StepJournal,
    token: string,
    step: JournalStep,
    error: CrmErrorInfo,
  ): Promise<ReconcileOutcome> {
    const now = this.now();
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
  private async deliveryFailed(
    journal: StepJournal,
    token: string,
    err: DeliveryError,
  ): Promise<ReconcileOutcome> {
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
    const delayMs = Math.round(base * (0.5 + 0.5 * (this.deps.random ?? Math.random)()));
    this.deps.logger.warn(
      { callId: journal.callId, attempts, delayMs, code: err.lastError.code },
      "delivery failed",
    );
    return { status: "retry", delayMs, error: err.lastError };
  }

  private stop(outcome: ReconcileOutcome): Round {
    return { next: false, outcome };
  }
}

/** The statistics cannot answer yet: come back after `delayMs`. */
class NotYet extends Error {
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

function failInfo(fail: { code: string; reason: string }): CrmErrorInfo {
  return { code: fail.code, description: fail.reason, retryable: false };
}

/** The step an unanswered intent points at (for the failure record). */
function stepInFlight(journal: StepJournal): JournalStep {
  if (!journal.register.doneAt) return "register";
  if (!journal.finish?.doneAt) return journal.finish?.intentAt ? "finish" : "cards";
  return "record";
}

export function extensionsOf(call: CallState): string[] {
  const all = call.legs.map((l) => l.extension);
  if (call.originExtension !== undefined) all.push(call.originExtension);
  return [...new Set(all)];
}
