import { callIsOver } from "../../core/calls/decisions/index.ts";
import type { CallState } from "../../core/calls/types.ts";
import {
  JournaledHookCrm,
  type DeliveryVerdict,
  type HookCommandMark,
  type HookCommandStore,
  type HookSendResult,
} from "../../core/hooks/crmGateway.ts";
import type { Logger } from "../../core/logging/logger.ts";
import { DeliveryError } from "../delivery/deliveryError.ts";
import type { CrmDelivery, ParamValue } from "../delivery/types.ts";
import { mayHaveRun } from "./groupSender.ts";
import type { ExtraMark, StepJournal } from "./journal.ts";

/**
 * Customizations' CRM commands in the workers: journaled in the call's step journal under their key
 * (`journal.extra[key]`, next to the reconciler's own extra commands), each write fenced by the call's
 * lock like every journal write, sent through the same delivery pipeline (limiter, batcher) as the
 * reconciler's groups. A retried reconcile finds the stored answer and sends nothing again.
 */

/** The round's journal as it changes under the hooks' writes (the reconciler goes on from `journal`). */
export interface JournalCell {
  journal: StepJournal;
}

export interface RoundHookCrmDeps {
  cell: JournalCell;
  /** A fenced journal write (JournalStore.put with the call's lock token). */
  write(journal: StepJournal): Promise<void>;
  delivery: Pick<CrmDelivery, "send">;
  call: CallState;
  logger: Logger;
  now: () => Date;
}

export function roundHookCrm(deps: RoundHookCrmDeps): JournaledHookCrm {
  const store = new JournalCommandStore(deps.cell, deps.write);
  const lane = () => (callIsOver(deps.call) ? "bulk" : "interactive");
  return new JournaledHookCrm({
    store,
    sender: {
      async send(callId, command): Promise<HookSendResult> {
        const commands = [{ method: command.method, params: command.params as Record<string, ParamValue> }];
        const [result] = await deps.delivery.send({ callId, lane: lane(), commands });
        if (!result)
          return { ok: false, error: { code: "NO_ANSWER", description: "no answer", retryable: true } };
        return result;
      },
    },
    classify: classifyDeliveryFailure,
    logger: deps.logger,
    now: deps.now,
  });
}

/** A delivery failure: nothing ran (held, refused before running, limits), or it may have run. */
export function classifyDeliveryFailure(err: unknown): DeliveryVerdict | undefined {
  if (!(err instanceof DeliveryError)) return undefined;
  return mayHaveRun(err) ? "unknown" : "notSent";
}

/**
 * `journal.extra[key]` seen as a HookCommandMark and back. An intent the reconciler marked unanswered
 * after a worker died (adoptOrphanIntents: `ambiguousAt`, or an `error` without `doneAt` for a command
 * not safe to send twice) reads as an intent without an answer: the gateway then skips or re-sends it
 * as the customization asked.
 */
export class JournalCommandStore implements HookCommandStore {
  constructor(
    private readonly cell: JournalCell,
    private readonly write: (journal: StepJournal) => Promise<void>,
  ) {}

  get(key: string): HookCommandMark | undefined {
    const extra = this.cell.journal.extra;
    const mark = extra && Object.hasOwn(extra, key) ? extra[key] : undefined;
    return mark ? toCommandMark(mark) : undefined;
  }

  async put(key: string, mark: HookCommandMark | undefined): Promise<void> {
    const next = structuredClone(this.cell.journal);
    const extra = { ...next.extra };
    if (mark) extra[key] = toExtraMark(mark);
    else delete extra[key];
    next.extra = extra;
    await this.write(next);
    this.cell.journal = next;
  }
}

function toCommandMark(mark: ExtraMark): HookCommandMark {
  const out: HookCommandMark = {
    method: mark.method,
    idempotent: mark.idempotent,
    digest: mark.digest ?? "",
  };
  if (mark.doneAt) {
    out.doneAt = mark.doneAt;
    if (mark.result !== undefined) out.result = mark.result;
    if (mark.resultDropped) out.resultDropped = true;
    if (mark.error !== undefined) out.error = splitError(mark.error);
  } else {
    out.intentAt = mark.intentAt ?? mark.ambiguousAt ?? new Date(0).toISOString();
  }
  return out;
}

function toExtraMark(mark: HookCommandMark): ExtraMark {
  const out: ExtraMark = { method: mark.method, idempotent: mark.idempotent, digest: mark.digest };
  if (mark.intentAt) out.intentAt = mark.intentAt;
  if (mark.doneAt) out.doneAt = mark.doneAt;
  if (mark.result !== undefined) out.result = mark.result;
  if (mark.resultDropped) out.resultDropped = true;
  if (mark.error) out.error = `${mark.error.code}: ${mark.error.description}`;
  return out;
}

function splitError(error: string): { code: string; description: string } {
  const i = error.indexOf(": ");
  return i < 0
    ? { code: error, description: "" }
    : { code: error.slice(0, i), description: error.slice(i + 2) };
}
