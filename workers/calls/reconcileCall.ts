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
import { CallOutcomes, NotYet, stepInFlight, type ReconcileOutcome } from "./callOutcome.ts";
import { emptyJournal, LockLost, type JournalStore, type StepJournal } from "./journal.ts";
import { planSteps, type CallDirectory } from "./planSteps.ts";
import { RecordingStep } from "./recordingUpload.ts";
import {
  applyStatistic,
  findStatisticRecord,
  NO_STATISTIC_ANSWER,
  statisticGroup,
  StatisticUnanswered,
} from "./statisticCheck.ts";

/**
 * The reconciler: under the call's lock, read the call state and its journal, plan what the CRM still
 * lacks, send it, write the answers into the journal, and repeat until nothing is left. Jobs only say
 * "look at call X"; a duplicate, late or retried job finds nothing to do.
 */

export type { ReconcileOutcome };

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

/** Plan → send → store rounds per job; a call needs at most ~4 (register, cards, finish, record). */
const MAX_ROUNDS = 8;

const ROUND_LIMIT: CrmErrorInfo = {
  code: "ROUND_LIMIT",
  description: `steps left after ${MAX_ROUNDS} rounds`,
  retryable: true,
};

/** A round's verdict: go on planning, or stop with this outcome. */
type Round = { next: true; journal: StepJournal } | { next: false; outcome: ReconcileOutcome };

export class CallReconciler {
  private readonly now: () => Date;
  private readonly recording: RecordingStep;
  private readonly outcomes: CallOutcomes;

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.recording = new RecordingStep({ ...deps, spoolDir: deps.config.recording.spoolDir, now: this.now });
    this.outcomes = new CallOutcomes({ ...deps, now: this.now, random: deps.random ?? Math.random });
  }

  async reconcile(callId: string): Promise<ReconcileOutcome> {
    const lock = await this.deps.locks.acquire(callId);
    if (!lock) return { status: "locked" };
    try {
      return await this.underLock(callId, lock.token);
    } catch (err) {
      if (!(err instanceof LockLost)) throw err;
      // Another worker holds the call now; coming back like a locked job leaves the call to whoever
      // holds it then, instead of failing the job (nothing would look at the call again).
      this.deps.logger.warn({ callId }, "call lock lost during reconcile; the job comes back");
      return { status: "locked" };
    } finally {
      await lock.release().catch((err: unknown) => {
        // The lock expires on its own (jobLockMs); only the next job of this call waits longer.
        this.deps.logger.warn({ callId, err: String(err) }, "call lock not released");
      });
    }
  }

  /**
   * A job ended with an unexpected error (a Redis hiccup, a bug): counted as `errors.INTERNAL`; on the
   * job's last attempt the call is recorded as failed with the error, unless its journal already says
   * how it ended. If even that fails, the call stays in `undeliveredCalls` and the sweeper queues it
   * again later.
   */
  async jobFailed(callId: string, err: unknown, lastAttempt: boolean): Promise<void> {
    const error: CrmErrorInfo = { code: "INTERNAL", description: describeError(err), retryable: false };
    this.deps.logger.error({ callId, err: error.description, lastAttempt }, "reconcile failed unexpectedly");
    if (lastAttempt && (await this.failForGood(callId, error))) return; // counted with the failure
    await this.deps.metrics.count("errors.INTERNAL");
  }

  /** True when the call is now recorded as failed with `error`. */
  private async failForGood(callId: string, error: CrmErrorInfo): Promise<boolean> {
    const lock = await this.deps.locks.acquire(callId).catch(() => undefined);
    if (!lock) return false; // another worker is on the call (or Redis is away): left to it / the sweeper
    try {
      const journal = (await this.deps.journals.get(callId)) ?? emptyJournal(callId);
      if (journal.deliveredAt || journal.failed || journal.skipped) return false;
      await this.outcomes.fail(journal, lock.token, stepInFlight(journal), error);
      return true;
    } catch (err) {
      this.deps.logger.error({ callId, err: describeError(err) }, "call could not be recorded as failed");
      return false;
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
        if (!(err instanceof DeliveryError) && !(err instanceof StatisticUnanswered)) throw err;
        journal = (await this.deps.journals.get(callId)) ?? journal;
        if (err instanceof StatisticUnanswered)
          return this.outcomes.retryOrFail(journal, token, "statistic", err.error);
        return this.outcomes.deliveryFailed(journal, token, err);
      }
    }
    // An ended call gets no further job by itself: this one comes back for what is left.
    this.deps.logger.warn({ callId }, "call still has steps after the round limit; the job comes back");
    return this.outcomes.retryOrFail(journal, token, stepInFlight(journal), ROUND_LIMIT);
  }

  private async round(call: CallState, journal: StepJournal, token: string): Promise<Round> {
    const { directory, config } = this.deps;
    await directory.refreshOnMiss(extensionsOf(call));
    const plan = planSteps(call, journal, directory, config, this.now());
    if (plan.fail)
      return this.stop(await this.outcomes.fail(journal, token, plan.fail.step, failInfo(plan.fail)));
    if (plan.skip) return this.stop(await this.outcomes.skip(journal, token, plan.skip));
    if (plan.check === "statistic")
      return { next: true, journal: await this.checkStatistic(journal, token, true) };
    if (plan.recordSkip)
      return { next: true, journal: await this.skipRecord(journal, token, plan.recordSkip) };
    if (plan.groups.length === 0) {
      // Marks found in the journal are applied again: a worker may have died right after writing them.
      if (plan.done) return this.stop(await this.outcomes.delivered(journal, token));
      if (journal.failed)
        return this.stop(await this.outcomes.failedBefore({ ...journal, failed: journal.failed }));
      if (journal.skipped)
        return this.stop(await this.outcomes.skippedBefore({ ...journal, skipped: journal.skipped }));
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
      return this.stop(await this.outcomes.fail(next, token, outcome.failure.step, outcome.failure.error));
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
    if (!result?.ok) {
      // Without an answer nobody knows whether the call is in the CRM: sending register+finish again
      // could double it. The check is retried; after the attempts the call fails (a human decides).
      const error = result?.error ?? NO_STATISTIC_ANSWER;
      this.deps.logger.warn({ callId: journal.callId, code: error.code }, "statistic check failed");
      throw new StatisticUnanswered(error);
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

  private stop(outcome: ReconcileOutcome): Round {
    return { next: false, outcome };
  }
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function failInfo(fail: { code: string; reason: string }): CrmErrorInfo {
  return { code: fail.code, description: fail.reason, retryable: false };
}

export function extensionsOf(call: CallState): string[] {
  const all = call.legs.map((l) => l.extension);
  if (call.originExtension !== undefined) all.push(call.originExtension);
  return [...new Set(all)];
}
