import type { Redis } from "ioredis";
import type { CallStore } from "../../core/calls/callStore.ts";
import type { CallState } from "../../core/calls/types.ts";
import type { Config } from "../../core/config/schema.ts";
import { callIsOver } from "../../core/calls/decisions/index.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import { HookCrmDeferred } from "../../core/hooks/errors.ts";
import type { HookRunner } from "../../core/hooks/runner.ts";
import {
  directoryForCall,
  isInnerNumberDirectory,
  type InnerNumberDirectory,
} from "../../core/hooks/userNumbers.ts";
import { DeliveryError } from "../delivery/deliveryError.ts";
import type { CrmErrorInfo, CrmFileDelivery } from "../delivery/types.ts";
import type { CallLocks } from "./callLock.ts";
import { CallOutcomes, NotYet, stepInFlight, type ReconcileOutcome } from "./callOutcome.ts";
import { GroupSender, mayHaveRun, type Round } from "./groupSender.ts";
import { emptyJournal, LockLost, type JournalStore, type StepJournal } from "./journal.ts";
import { decisionsFor } from "./callDecisionsFor.ts";
import { roundHookCrm, type JournalCell } from "./hookCrm.ts";
import { anyEventHooked, runDueEvents } from "./hookEvents.ts";
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

export interface ReconcileDirectory
  extends CallDirectory, Partial<Omit<InnerNumberDirectory, keyof CallDirectory>> {
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
  /**
   * The customizations of this process (core/hooks, started by the worker). Without it (or with no
   * customization on a point) every decision is the connector's own.
   */
  hooks?: HookRunner;
}

/** Plan → send → store rounds per job; a call needs at most ~4 (register, cards, finish, record). */
const MAX_ROUNDS = 8;
/** Passes of one job over a call whose other jobs keep leaving work (a busy call); then it comes back. */
const MAX_PASSES = 4;

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
    this.outcomes = new CallOutcomes({
      ...deps,
      now: this.now,
      random: deps.random ?? Math.random,
      afterFail: (journal, token) => this.failedEvents(journal, token),
    });
    this.sender = new GroupSender({ ...deps, now: this.now, outcomes: this.outcomes });
  }

  /**
   * Reconciles the call under its lock. A call locked by another worker is left to it (it reconciles
   * once more when it is done; the job still comes back later in case that worker died); when work
   * was left here meanwhile, the call is reconciled again at once — unless this pass ends in a retry,
   * which brings the job back anyway.
   */
  async reconcile(callId: string): Promise<ReconcileOutcome> {
    let outcome: ReconcileOutcome = { status: "locked" };
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const lock = await this.deps.locks.acquireOrLeaveWork(callId);
      if (!lock) return { status: "locked" };
      let workLeft = false;
      try {
        outcome = await this.underLock(callId, lock.token);
      } catch (err) {
        if (!(err instanceof LockLost)) throw err;
        // Another worker holds the call now; coming back like a locked job leaves the call to whoever
        // holds it then, instead of failing the job (nothing would look at the call again).
        this.deps.logger.warn({ callId }, "call lock lost during reconcile; the job comes back");
        return { status: "locked" };
      } finally {
        workLeft = await lock.release().catch((err: unknown) => {
          // The lock expires on its own (jobLockMs); only the next job of this call waits longer.
          this.deps.logger.warn({ callId, err: String(err) }, "call lock not released");
          return false;
        });
      }
      if (!workLeft || outcome.status === "retry") return outcome;
    }
    return outcome;
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
        if (err instanceof HookCrmDeferred) return this.hookDeferred(callId, journal, token, err);
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
    const stored = (await this.deps.journals.get(callId)) ?? (await this.firstJournal(callId));
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

  /**
   * The journal of a call seen for the first time. A call rebuilt from Asterisk's records may have
   * been delivered before its journal expired (30 days): its first step is the statistics check.
   */
  private async firstJournal(callId: string): Promise<StepJournal> {
    const journal = emptyJournal(callId);
    const call = await this.deps.calls.get(callId);
    if (!call?.rebuiltAt || !callIsOver(call)) return journal;
    this.deps.logger.info({ callId }, "rebuilt call without a journal: the portal's statistics first");
    return { ...journal, verifyFirst: this.now().toISOString() };
  }

  private async round(call: CallState, stored: StepJournal, token: string): Promise<Round> {
    const { directory, config } = this.deps;
    let journal = await this.withPortalCall(call, stored, token);
    await directory.refreshOnMiss(extensionsOf(call));
    const extras = this.deps.extraCommands?.(call, journal) ?? [];
    const hooks = this.hooksFor(call, journal, token);
    const decisions = hooks
      ? decisionsFor(call, await hooks.users(), config, hooks.runner, hooks.crm)
      : undefined;
    const plan: Plan = await planSteps(call, journal, directory, config, {
      now: this.now(),
      extras,
      ...(decisions ? { decisions } : {}),
    });
    // Customizations' commands sent while planning are in the journal now.
    if (hooks) journal = hooks.cell.journal;
    switch (plan.kind) {
      case "send":
        return this.sender.sendAll(call, journal, plan.groups, token);
      case "check":
        return { next: true, journal: await this.checkStatistic(journal, token) };
      case "recordSkip":
        return { next: true, journal: await this.skipRecord(journal, token, plan.reason) };
      case "wait":
        if (hooks) await hooks.events();
        return this.stop({ status: "waiting", waitFor: plan.for });
      case "fail":
        return this.stop(await this.outcomes.fail(journal, token, plan.step, failInfo(plan)));
      case "skip":
        return this.stop(await this.outcomes.skip(journal, token, plan.reason));
      case "done":
        // Events first: the call is delivered only when none of them is left.
        if (hooks) journal = await hooks.events();
        // Marks found in the journal are applied again: a worker may have died right after writing them.
        return this.stop(await this.outcomes.delivered(journal, token, call));
      case "ended":
        if (journal.failed)
          return this.stop(await this.outcomes.failedBefore({ ...journal, failed: journal.failed }));
        return this.stop(await this.outcomes.skippedBefore({ ...journal, skipped: journal.skipped! }));
    }
  }

  /** This round's hook wiring: the journaled gateway, the directory through normalizeUserNumber, events. */
  private hooksFor(call: CallState, journal: StepJournal, token: string): RoundHooks | undefined {
    const runner = this.deps.hooks;
    if (!runner || runner.customizations.length === 0) return undefined;
    const cell: JournalCell = { journal };
    const write = (next: StepJournal) => this.deps.journals.put(next, token);
    const crm = roundHookCrm({
      cell,
      write,
      delivery: this.deps.delivery,
      call,
      logger: this.deps.logger,
      now: this.now,
    });
    const directory = this.deps.directory;
    let users: Promise<CallDirectory> | undefined;
    const usersOnce = () =>
      (users ??= isInnerNumberDirectory(directory)
        ? directoryForCall(runner, call, directory, crm)
        : Promise.resolve(directory));
    return {
      runner,
      cell,
      crm,
      users: usersOnce,
      events: async () => {
        const all = await usersOnce();
        await runDueEvents({ runner, call, cell, write, users: all, crm, now: this.now });
        return cell.journal;
      },
    };
  }

  /**
   * The call was just marked failed: onCallFailed (and any other event still due) runs now, since a
   * failed call is not planned again. A customization's trouble here never changes the outcome.
   */
  private async failedEvents(journal: StepJournal, token: string): Promise<void> {
    const runner = this.deps.hooks;
    if (!runner || !anyEventHooked(runner)) return;
    try {
      const call = await this.deps.calls.get(journal.callId);
      if (!call) return;
      const hooks = this.hooksFor(call, journal, token);
      await hooks?.events();
    } catch (err) {
      this.deps.logger.warn(
        { callId: journal.callId, err: describeError(err) },
        "hooks of a failed call did not complete",
      );
    }
  }

  /** A customization's command could not go now: the job comes back like after a delivery failure. */
  private async hookDeferred(
    callId: string,
    before: StepJournal,
    token: string,
    err: HookCrmDeferred,
  ): Promise<ReconcileOutcome> {
    const cause = err.cause;
    if (cause instanceof LockLost) throw cause;
    const journal = (await this.deps.journals.get(callId)) ?? before;
    this.deps.logger.warn(
      { callId, key: err.key, err: err.message },
      "a customization's CRM command is deferred",
    );
    if (cause instanceof DeliveryError) {
      if (cause.reason === "held") return this.outcomes.held(journal, token, cause);
      return this.outcomes.retryOrFail(journal, token, "extra", { ...cause.lastError, retryable: true });
    }
    const error: CrmErrorInfo = { code: "HOOK_DEFERRED", description: err.message, retryable: true };
    return this.outcomes.retryOrFail(journal, token, "extra", error);
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
      {
        callId: journal.callId,
        found: record !== undefined,
        waits: "notBeforeMs" in verdict,
        why: journal.verifyFirst ? "noJournal" : "unanswered",
      },
      "statistic checked",
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

interface RoundHooks {
  runner: HookRunner;
  cell: JournalCell;
  crm: ReturnType<typeof roundHookCrm>;
  /** The directory of this call through normalizeUserNumber (computed once per round). */
  users(): Promise<CallDirectory>;
  /** Runs the due event points; resolves with the journal after their marks. */
  events(): Promise<StepJournal>;
}

export function extensionsOf(call: CallState): string[] {
  const all = call.legs.map((l) => l.extension);
  if (call.originExtension !== undefined) all.push(call.originExtension);
  return [...new Set(all)];
}
