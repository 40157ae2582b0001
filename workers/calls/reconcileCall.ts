import type { Redis } from "ioredis";
import type { CallStore } from "../../core/calls/callStore.ts";
import type { CallState } from "../../core/calls/types.ts";
import type { Config } from "../../core/config/schema.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import { DeliveryError } from "../delivery/deliveryError.ts";
import type { CrmErrorInfo, CrmFileDelivery } from "../delivery/types.ts";
import type { CallLocks } from "./callLock.ts";
import { CallOutcomes, NotYet, stepInFlight, type ReconcileOutcome } from "./callOutcome.ts";
import { GroupSender, mayHaveRun, type Round } from "./groupSender.ts";
import { emptyJournal, LockLost, type JournalStore, type StepJournal } from "./journal.ts";
import { adoptOrphanIntents } from "./orphanIntents.ts";
import { adoptPortalCall } from "./portalCall.ts";
import type { ExtraCommand, Plan } from "./plan.ts";
import { planSteps, type CallDirectory } from "./planSteps.ts";
import { reprocessTaken, takeReprocessRequest } from "./reprocessRequest.ts";
import {
  applyCheck,
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
  /**
   * CRM commands customizations want sent for a call, each under a stable key: journaled (intent
   * before sending, answer after) and sent once per call. None by default.
   */
  extraCommands?: (call: CallState, journal: Readonly<StepJournal>) => ExtraCommand[];
}

/** Plan → send → store rounds per job; a call needs at most ~4 (register, cards, finish, record). */
const MAX_ROUNDS = 8;

const ROUND_LIMIT: CrmErrorInfo = {
  code: "ROUND_LIMIT",
  description: `steps left after ${MAX_ROUNDS} rounds`,
  retryable: true,
};

export class CallReconciler {
  private readonly now: () => Date;
  private readonly outcomes: CallOutcomes;
  private readonly sender: GroupSender;

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.outcomes = new CallOutcomes({ ...deps, now: this.now, random: deps.random ?? Math.random });
    this.sender = new GroupSender({ ...deps, now: this.now, outcomes: this.outcomes });
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
    let journal = await this.opened(callId, token);
    let unanswered = 0;
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
        if (err.reason === "held") return this.outcomes.held(journal, token, err);
        // The first unanswered request of a job is verified at once (the next round plans the check
        // or the idempotent re-send); a second one ends the job like any failure.
        if (mayHaveRun(err) && unanswered++ === 0) continue;
        return this.outcomes.deliveryFailed(journal, token, err);
      }
    }
    // An ended call gets no further job by itself: this one comes back for what is left.
    this.deps.logger.warn({ callId }, "call still has steps after the round limit; the job comes back");
    return this.outcomes.retryOrFail(journal, token, stepInFlight(journal), ROUND_LIMIT);
  }

  /**
   * The journal as this reconcile starts from it: intents a dead worker left are marked unanswered
   * (verified before anything is re-sent), and an admin's re-processing request re-opens a failed call.
   */
  private async opened(callId: string, token: string): Promise<StepJournal> {
    const stored = (await this.deps.journals.get(callId)) ?? emptyJournal(callId);
    const reopened = await takeReprocessRequest(this.deps, stored, this.now());
    if (reopened) {
      await this.deps.journals.put(reopened, token);
      await reprocessTaken(this.deps, reopened);
    }
    const journal = reopened ?? stored;
    const adopted = adoptOrphanIntents(journal, this.now().toISOString());
    if (!adopted) return journal;
    this.deps.logger.warn(
      { callId },
      "unanswered intents of an earlier reconcile: verified before re-sending",
    );
    await this.deps.journals.put(adopted, token);
    return adopted;
  }

  private async round(call: CallState, stored: StepJournal, token: string): Promise<Round> {
    const { directory, config } = this.deps;
    const journal = await this.withPortalCall(call, stored, token);
    await directory.refreshOnMiss(extensionsOf(call));
    const extras = this.deps.extraCommands?.(call, journal) ?? [];
    const plan: Plan = planSteps(call, journal, directory, config, { now: this.now(), extras });
    switch (plan.kind) {
      case "send":
        return this.sender.sendAll(call, journal, plan.groups, token);
      case "check":
        return { next: true, journal: await this.checkStatistic(journal, token) };
      case "recordSkip":
        return { next: true, journal: await this.skipRecord(journal, token, plan.reason) };
      case "wait":
        return this.stop({ status: "waiting", waitFor: plan.for });
      case "fail":
        return this.stop(await this.outcomes.fail(journal, token, plan.step, failInfo(plan)));
      case "skip":
        return this.stop(await this.outcomes.skip(journal, token, plan.reason));
      case "done":
        // Marks found in the journal are applied again: a worker may have died right after writing them.
        return this.stop(await this.outcomes.delivered(journal, token, call));
      case "ended":
        if (journal.failed)
          return this.stop(await this.outcomes.failedBefore({ ...journal, failed: journal.failed }));
        return this.stop(await this.outcomes.skippedBefore({ ...journal, skipped: journal.skipped! }));
    }
  }

  /** The click-to-call's own CALL_ID, adopted once into the journal (stored before anything is sent). */
  private async withPortalCall(call: CallState, journal: StepJournal, token: string): Promise<StepJournal> {
    const adopted = adoptPortalCall(call, journal, this.now().toISOString());
    if (!adopted) return journal;
    await this.deps.journals.put(adopted, token);
    this.deps.logger.info(
      { callId: call.callId, bxCallId: adopted.bxCallId, userId: adopted.registeredFor },
      "click-to-call: the portal's CALL_ID is finished, never registered again",
    );
    return adopted;
  }

  /**
   * Asks the portal's statistics whether an unanswered finish (or register+finish) went through, and
   * stores what they say; an unanswered register that may still run makes the job come back later.
   */
  private async checkStatistic(journal: StepJournal, token: string): Promise<StepJournal> {
    const [result] = await this.deps.delivery.send(statisticGroup(journal));
    if (!result?.ok) {
      // Without an answer nobody knows whether the call is in the CRM: sending register+finish again
      // could double it. The check is retried; after the attempts the call fails (a human decides).
      const error = result?.error ?? NO_STATISTIC_ANSWER;
      this.deps.logger.warn({ callId: journal.callId, code: error.code }, "statistic check failed");
      throw new StatisticUnanswered(error);
    }
    await this.deps.metrics.count("calls.verified");
    const record = findStatisticRecord(journal, result);
    const now = this.now();
    const verdict = applyCheck(journal, record, now, this.deps.config.workers.inFlightWindowMs);
    this.deps.logger.info(
      { callId: journal.callId, found: record !== undefined, waits: "notBeforeMs" in verdict },
      "statistic checked after an unanswered request",
    );
    if ("notBeforeMs" in verdict) throw new NotYet(Math.max(100, verdict.notBeforeMs - now.getTime()));
    await this.deps.journals.put(verdict.journal, token);
    return verdict.journal;
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
