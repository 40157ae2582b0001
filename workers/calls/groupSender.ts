import type { CallState } from "../../core/calls/types.ts";
import type { Config } from "../../core/config/schema.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import { DeliveryError } from "../delivery/deliveryError.ts";
import type { CrmFileDelivery } from "../delivery/types.ts";
import { observeCardShown } from "../../core/metrics/callMetrics.ts";
import { applyAnswers, markUnanswered, withIntents } from "./applyAnswers.ts";
import type { CallOutcomes, ReconcileOutcome } from "./callOutcome.ts";
import type { JournalStore, StepJournal } from "./journal.ts";
import type { PlannedGroup } from "./plan.ts";
import { RecordingStep } from "./recordingUpload.ts";

/** A round's verdict: go on planning, or stop with this outcome. */
export type Round = { next: true; journal: StepJournal } | { next: false; outcome: ReconcileOutcome };

/**
 * Whether the portal may have run a group that came back with this error. `ambiguous` by contract;
 * `closed` (abandoned at shutdown after a failed attempt) and `internal_error` (e.g. a malformed
 * answer) are not proof that nothing ran either. Everything else — retries exhausted on refusals
 * that prove nothing ran, a hold, a refusal for good — means the portal did not run it.
 */
export function mayHaveRun(err: DeliveryError): boolean {
  return err.reason === "ambiguous" || err.reason === "closed" || err.reason === "internal_error";
}

export interface GroupSenderDeps {
  config: Pick<Config, "recording">;
  delivery: CrmFileDelivery;
  journals: JournalStore;
  metrics: Metrics;
  logger: Logger;
  now: () => Date;
  outcomes: CallOutcomes;
}

/**
 * Sends planned groups: intents first, then the group, then the answers — each journal write fenced
 * by the call's lock. A group the portal did not run leaves the journal as it was before; a group whose
 * answer was lost is marked unanswered (the planner verifies before register or finish go again).
 */
export class GroupSender {
  private readonly recording: RecordingStep;

  constructor(private readonly deps: GroupSenderDeps) {
    this.recording = new RecordingStep({ ...deps, spoolDir: deps.config.recording.spoolDir });
  }

  async sendAll(
    call: CallState,
    journal: StepJournal,
    groups: PlannedGroup[],
    token: string,
  ): Promise<Round> {
    const unattachable = await this.recording.checkFile(call, journal, groups);
    if (unattachable) {
      await this.deps.journals.put(unattachable, token);
      return { next: true, journal: unattachable };
    }
    for (const group of groups) {
      const sent = await this.sendGroup(call, journal, group, token);
      if (!sent.next) return sent;
      journal = sent.journal;
    }
    return { next: true, journal };
  }

  private async sendGroup(
    call: CallState,
    journal: StepJournal,
    group: PlannedGroup,
    token: string,
  ): Promise<Round> {
    const at = () => this.deps.now().toISOString();
    const intended = withIntents(journal, group, at(), call.recording?.file);
    await this.deps.journals.put(intended, token);
    const results = await this.deps.delivery.send(group).catch(async (err: unknown) => {
      if (err instanceof DeliveryError)
        await this.noAnswer(call.callId, journal, intended, group, err, token);
      throw err;
    });
    const outcome = applyAnswers(intended, group, results, at());
    const registeredBefore = journal.bxCallId !== undefined;
    observeCardShown(
      call,
      registeredBefore,
      intended.cardsShownTo,
      outcome.journal.cardsShownTo,
      this.deps.now(),
    );
    let next = outcome.journal;
    for (const e of outcome.commandErrors) {
      this.deps.logger.warn({ callId: call.callId, code: e.code, error: e.description }, "command failed");
      await this.deps.metrics.count(`errors.${e.code}`);
    }
    if (outcome.failure) {
      const { step, error } = outcome.failure;
      return { next: false, outcome: await this.deps.outcomes.fail(next, token, step, error) };
    }
    if (outcome.retryable) {
      await this.deps.journals.put(next, token);
      throw new DeliveryError("retries_exhausted", outcome.retryable, 1);
    }
    if (outcome.upload) next = await this.recording.upload(call, next, outcome.upload);
    next.attempts = 0;
    delete next.heldSince;
    await this.deps.journals.put(next, token);
    return { next: true, journal: next };
  }

  /** The journal after a group that came back without answers. */
  private async noAnswer(
    callId: string,
    before: StepJournal,
    intended: StepJournal,
    group: PlannedGroup,
    err: DeliveryError,
    token: string,
  ): Promise<void> {
    if (!mayHaveRun(err)) {
      await this.deps.journals.put(before, token); // nothing ran: the intents go
      return;
    }
    await this.deps.metrics.count("calls.unanswered");
    this.deps.logger.warn(
      { callId, reason: err.reason, code: err.lastError.code, steps: group.steps.map((s) => s.step) },
      "no answer for a group the portal may have run: verified before register or finish go again",
    );
    await this.deps.journals.put(markUnanswered(intended, group, this.deps.now().toISOString()), token);
  }
}
