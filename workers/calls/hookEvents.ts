import type { UserDirectory } from "../../core/calls/decisions/index.ts";
import type { CallState } from "../../core/calls/types.ts";
import { dueEvents, EVENT_POINTS, type CallProgress } from "../../core/hooks/events.ts";
import type { HookCrmGateway } from "../../core/hooks/ports.ts";
import type { HookRunner } from "../../core/hooks/runner.ts";
import type { JournalCell } from "./hookCrm.ts";
import type { StepJournal } from "./journal.ts";

/**
 * Event points (afterRegister, onAnswer, afterFinish, onMissed, onIvrMissed, …) run when a round has
 * nothing left to send: each due occurrence once, marked in `journal.hookEvents[key]` after its hooks
 * returned, so a crash runs it again at worst (its journaled commands are not sent again). Without a
 * customization on any event point nothing runs and nothing is written (the hot path).
 */

export interface EventRun {
  runner: HookRunner;
  call: CallState;
  cell: JournalCell;
  write(journal: StepJournal): Promise<void>;
  users: UserDirectory;
  crm: HookCrmGateway;
  now: () => Date;
}

export function anyEventHooked(runner: HookRunner): boolean {
  return EVENT_POINTS.some((p) => runner.active(p));
}

export async function runDueEvents(run: EventRun): Promise<void> {
  if (!anyEventHooked(run.runner)) return;
  const ran = new Set(Object.keys(run.cell.journal.hookEvents ?? {}));
  for (const event of dueEvents(run.call, progressOf(run.cell.journal), ran, run.users)) {
    await run.runner.run(event.point, {
      call: run.call,
      input: event.input as never,
      value: undefined,
      crm: run.crm,
      users: run.users,
      ...(event.instance !== undefined ? { instance: event.instance } : {}),
    });
    const next = structuredClone(run.cell.journal);
    next.hookEvents = { ...next.hookEvents, [event.key]: run.now().toISOString() };
    await run.write(next);
    run.cell.journal = next;
  }
}

/** What the journal says the CRM has, as the event points' inputs need it. */
export function progressOf(journal: StepJournal): CallProgress {
  const progress: CallProgress = {};
  if (journal.bxCallId !== undefined) progress.bxCallId = journal.bxCallId;
  if (journal.registeredFor !== undefined) progress.registeredFor = journal.registeredFor;
  if (journal.crmEntity) progress.crmEntity = journal.crmEntity;
  const finish = journal.finish;
  if (finish?.doneAt && journal.bxCallId !== undefined) {
    progress.finished = {
      bxCallId: journal.bxCallId,
      activityId: finish.activityId ?? null,
      userId: finish.userId,
      duration: finish.duration,
      statusCode: finish.statusCode,
    };
  }
  const record = journal.record;
  if (record?.doneAt)
    progress.recordAttached = { source: record.source ?? { kind: "file", file: record.file } };
  if (journal.failed) {
    const { step, code, reason } = journal.failed;
    progress.failed = { step, code, reason };
  }
  return progress;
}
