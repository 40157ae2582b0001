import { markExtraUnanswered } from "./applyAnswers.ts";
import { isPending, type StepJournal } from "./journal.ts";

/**
 * Intents a previous reconcile left without an outcome: its worker died (or lost its lock) while the
 * request was in flight. Each such step is marked unanswered NOW — the dead worker's last attempt
 * started before its lock expired, so an in-flight window measured from now covers it, whatever
 * retries its pipeline made after the intent was written. PURE; undefined when there is none.
 */
export function adoptOrphanIntents(journal: StepJournal, at: string): StepJournal | undefined {
  if (journal.failed || journal.skipped || journal.deliveredAt) return undefined;
  const orphaned = (mark: { intentAt?: string; doneAt?: string; ambiguousAt?: string } | undefined) =>
    isPending(mark) && mark!.ambiguousAt === undefined;
  const extras = Object.values(journal.extra ?? {}).filter((m) => orphaned(m) && m.error === undefined);
  const steps = [journal.register, journal.finish, journal.record].filter(orphaned);
  if (steps.length === 0 && extras.length === 0) return undefined;
  const next = structuredClone(journal);
  for (const mark of [next.register, next.finish, next.record]) if (orphaned(mark)) mark!.ambiguousAt = at;
  for (const mark of Object.values(next.extra ?? {})) if (orphaned(mark)) markExtraUnanswered(mark, at);
  return next;
}
