import { callOutcome } from "../calls/decisions/statusCode.ts";
import type { CallState } from "../calls/types.ts";
import type {
  FinishedCall,
  HookInput,
  HookPointName,
  HookValue,
  RecordingSource,
  UserLookup,
} from "./api.ts";
import { hookEventKey } from "./commandKey.ts";
import { HOOK_POINT_NAMES, HOOK_POINTS } from "./points.ts";

/**
 * Which event points are due for a call: a pure function of the call state, what the journal says the
 * CRM has, and which event occurrences already ran. The reconciler runs the due ones when a round has
 * nothing left to send, marks each in the journal (`hookEventKey`) after its hooks returned, and marks
 * the call delivered only when none is left, so an event is never lost to a crash (it may run again;
 * its CRM commands are journaled, so they are not sent again).
 */

/** The points whose hooks return nothing (their kind in the catalogue is "event"). */
export type EventPoint = {
  [P in HookPointName]: [HookValue<P>] extends [void] ? P : never;
}[HookPointName];

export const EVENT_POINTS = HOOK_POINT_NAMES.filter((p) => HOOK_POINTS[p].kind === "event") as EventPoint[];

export type DueEvent = {
  [P in EventPoint]: { point: P; instance?: string; key: string; input: HookInput<P> };
}[EventPoint];

/** What the journal says about the call (workers map StepJournal onto this). */
export interface CallProgress {
  /** Bitrix24 CALL_ID once register is answered. */
  bxCallId?: string;
  registeredFor?: number;
  /** The CRM entity register's answer named (CRM_ENTITY_TYPE / CRM_ENTITY_ID). */
  crmEntity?: { type: string; id: number };
  /** Set once finish is answered. */
  finished?: FinishedCall;
  /** Set once the recording is attached. */
  recordAttached?: { source: RecordingSource };
  failed?: { step: string; code: string; reason: string };
}

/** Events run in this order within a round (the order their facts happen in). */
export function dueEvents(
  call: CallState,
  progress: CallProgress,
  ran: ReadonlySet<string>,
  users: UserLookup,
): DueEvent[] {
  const due: DueEvent[] = [];
  const add = (event: Omit<DueEvent, "key">) => {
    const key = hookEventKey(event.point, event.instance);
    if (!ran.has(key)) due.push({ ...event, key } as DueEvent);
  };
  const ivr = call.ivr;
  if (ivr?.missed && ivr.extension !== undefined) {
    const userId = users.userIdByExtension(ivr.extension) ?? null;
    add({ point: "onIvrMissed", input: { extension: ivr.extension, digits: ivr.digits, userId } });
  }
  if (progress.failed) add({ point: "onCallFailed", input: progress.failed });
  const bxCallId = progress.bxCallId;
  if (bxCallId === undefined || progress.registeredFor === undefined) return due;

  const crmEntity = progress.crmEntity ?? null;
  add({ point: "afterRegister", input: { bxCallId, userId: progress.registeredFor, crmEntity } });
  for (const c of [...call.conversations].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt))) {
    const userId = users.userIdByExtension(c.extension) ?? null;
    const input = { bxCallId, legId: c.legId, extension: c.extension, userId, at: c.startedAt };
    add({ point: "onAnswer", instance: c.legId, input });
  }
  call.transfers.forEach((t, index) => {
    const fromUserId = users.userIdByExtension(t.fromExtension) ?? null;
    const toUserId = users.userIdByExtension(t.toExtension) ?? null;
    const input = { bxCallId, index, ...t, fromUserId, toUserId };
    add({ point: "onTransfer", instance: String(index), input });
  });
  const finished = progress.finished;
  if (!finished) return due;
  add({ point: "afterFinish", input: finished });
  if (callOutcome(call) === "missed") add({ point: "onMissed", input: finished });
  if (progress.recordAttached) {
    const input = { bxCallId, activityId: finished.activityId, source: progress.recordAttached.source };
    add({ point: "afterAttachRecord", input });
  }
  return due;
}
