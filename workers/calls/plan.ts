import type { RecordingSource } from "../../core/hooks/api.ts";
import type { CommandGroup, CrmCommand, Lane } from "../delivery/types.ts";
import { stepOfMethod, type CoreStep } from "./commands.ts";
import type { JournalStep } from "./journal.ts";

/**
 * What the planner (planSteps.ts) answers: one kind of next move per call, never a mix. The reconciler
 * (reconcileCall.ts) carries it out and asks again.
 */
export type Plan =
  /** Send these groups in order (each travels in one batch). */
  | { kind: "send"; groups: PlannedGroup[] }
  /** Nothing to send until the call changes. */
  | { kind: "wait"; for: WaitFor }
  /**
   * Ask the portal's call statistics first: an unanswered (or "Call is not found") finish, or
   * register+finish, may have run; or a rebuilt call without a journal may be in the CRM already
   * (`StepJournal.verifyFirst`). Nothing is sent before they answer.
   */
  | { kind: "check"; step: "registerAndFinish" | "finish" | "noJournal" }
  /** Not a call for the CRM: mark the journal skipped with this reason. */
  | { kind: "skip"; reason: string }
  /** The call cannot be delivered (permanent): mark it failed. */
  | { kind: "fail"; code: string; reason: string; step: JournalStep }
  /** The recording will not be attached (format, configuration): store the reason; the call goes on. */
  | { kind: "recordSkip"; reason: string }
  /** Nothing is left: the call is fully in the CRM. */
  | { kind: "done" }
  /** The journal already says how the call ended (failed or skipped): its records are applied again. */
  | { kind: "ended" };

export type WaitFor = "operator" | "callEnd" | "recording";

/** The journal step of one planned command. Extra commands carry their own stable key. */
export type PlannedStep = { step: CoreStep } | { step: "extra"; key: string; idempotent: boolean };

/** A group for the delivery pipeline, with the journal step of each command (same order). */
export interface PlannedGroup extends CommandGroup {
  steps: PlannedStep[];
  /** The recording an attachRecord of this group attaches (a spool file, or a customization's link). */
  record?: RecordingSource;
}

/**
 * A command beyond the reconciler's own (a customization's CRM call), sent once per call: its `key`
 * names it in the journal (`journal.extra[key]`), so a retried reconcile never sends it twice.
 */
export interface ExtraCommand {
  key: string;
  command: CrmCommand;
  /** Sent once the call is registered (CALL_ID known), or once it is finished. */
  after: "register" | "finish";
  /**
   * Safe to send twice (it sets the same values again). An unanswered command that is not idempotent
   * is never re-sent: the journal notes it instead, because nothing can tell whether it ran.
   */
  idempotent: boolean;
}

/** A group of the reconciler's own commands (steps mapped by method), plus extra commands. */
export function plannedGroup(
  callId: string,
  lane: Lane,
  commands: CrmCommand[],
  extras: ExtraCommand[] = [],
): PlannedGroup {
  const steps: PlannedStep[] = commands.map((c) => {
    const step = stepOfMethod(c.method);
    if (!step) throw new Error(`${c.method} is not a journal step; send it as an extra command with a key`);
    return { step };
  });
  for (const e of extras) steps.push({ step: "extra", key: e.key, idempotent: e.idempotent });
  return { callId, lane, commands: [...commands, ...extras.map((e) => e.command)], steps };
}

export const send = (...groups: PlannedGroup[]): Plan => ({ kind: "send", groups });
