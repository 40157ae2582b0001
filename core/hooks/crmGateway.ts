import type { Logger } from "../logging/logger.ts";
import type { CrmParams } from "./api.ts";
import { commandDigest } from "./commandKey.ts";
import { HookCommandOutcomeUnknown, HookCrmDeferred, HookCrmError } from "./errors.ts";
import type { HookCrmGateway, HookCrmRequest } from "./ports.ts";

/**
 * Exactly-once for customizations' CRM commands, the same way the reconciler does it for its own
 * steps: an intent is journaled before the command is sent, the answer after it; a re-run finds the
 * answer and gets it back without sending. What the storage is (the call's step journal, written
 * under the call's lock) and how commands travel (the delivery pipeline) is injected.
 *
 * | journal entry          | what `call` does                                                        |
 * |------------------------|-------------------------------------------------------------------------|
 * | answered               | returns the stored answer (throws the stored HookCrmError); sends nothing |
 * | intent, no answer      | `ifUnknown: "skip"` → HookCommandOutcomeUnknown; `"resend"` → sends again |
 * | none                   | intent → send → answer                                                  |
 *
 * Delivery failures: nothing ran (held, limits) → the intent is removed and `HookCrmDeferred` is thrown
 * (the reconcile comes back later and sends it then); may have run (timeout after sending, a 5xx, a
 * retryable error of the command itself) → the intent stays (unknown next time) and `HookCrmDeferred`.
 */

export interface HookCommandMark {
  method: string;
  /** Sent with `ifUnknown: "resend"`: safe to send twice (the step journal's ExtraMark.idempotent). */
  idempotent: boolean;
  /** commandDigest of method + params when it was first sent. */
  digest: string;
  intentAt?: string;
  doneAt?: string;
  result?: unknown;
  /** The answer was larger than the journal keeps: a re-run gets `undefined`. */
  resultDropped?: boolean;
  /** The portal refused the command for good. */
  error?: { code: string; description: string };
}

/** The call's slot for customizations' commands (workers: the step journal, fenced by the call lock). */
export interface HookCommandStore {
  get(key: string): HookCommandMark | undefined;
  /** `undefined` removes the entry. */
  put(key: string, mark: HookCommandMark | undefined): Promise<void>;
}

export type HookSendResult =
  | { ok: true; result: unknown }
  | { ok: false; error: { code: string; description: string; retryable: boolean } };

/** One command through the limiter and the batcher; rejects when the delivery itself failed. */
export interface HookCommandSender {
  send(callId: string, command: { method: string; params: CrmParams }): Promise<HookSendResult>;
}

/** How a rejected send is read: nothing ran, it may have run, or (undefined) not a delivery failure. */
export type DeliveryVerdict = "notSent" | "unknown";

export interface JournaledHookCrmDeps {
  store: HookCommandStore;
  sender: HookCommandSender;
  classify(err: unknown): DeliveryVerdict | undefined;
  logger: Logger;
  now?: () => Date;
  /** Answers longer than this (JSON) are not kept in the journal. */
  maxStoredResultChars?: number;
}

const DEFAULT_MAX_RESULT_CHARS = 8_000;

export class JournaledHookCrm implements HookCrmGateway {
  private readonly now: () => Date;

  constructor(private readonly deps: JournaledHookCrmDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async call(request: HookCrmRequest): Promise<unknown> {
    if (!request.journal) return this.answerOf(request, await this.send(request, false));
    const digest = commandDigest(request.method, request.params);
    const mark = this.deps.store.get(request.key);
    if (mark?.doneAt) return this.replay(request, mark, digest);
    if (mark?.intentAt && request.ifUnknown === "skip") {
      this.deps.logger.warn(
        { callId: request.callId, hook: request.point, key: request.key },
        "customization command was sent before without a stored answer; not sent again",
      );
      throw new HookCommandOutcomeUnknown(request.key);
    }
    const base = { method: request.method, idempotent: request.ifUnknown === "resend", digest };
    await this.persist(request.key, { ...base, intentAt: this.stamp() });
    const answer = await this.send(request, true);
    if (answer.ok) {
      await this.persist(request.key, { ...base, doneAt: this.stamp(), ...this.keep(answer.result) });
      return answer.result;
    }
    const { code, description } = answer.error;
    if (answer.error.retryable) {
      // It may have run; the intent stays, so the next run treats it as unknown.
      throw new HookCrmDeferred(request.key, new HookCrmError(request.method, code, description));
    }
    await this.persist(request.key, { ...base, doneAt: this.stamp(), error: { code, description } });
    throw new HookCrmError(request.method, code, description);
  }

  /**
   * A journal that cannot be written (Redis away, the call's lock lost) stops the reconcile like its
   * own journal writes do: the job comes back, and finds the intent (if it was written) as unknown.
   */
  private async persist(key: string, mark: HookCommandMark | undefined): Promise<void> {
    try {
      await this.deps.store.put(key, mark);
    } catch (err) {
      throw new HookCrmDeferred(key, err);
    }
  }

  private async send(request: HookCrmRequest, journaled: boolean): Promise<HookSendResult> {
    try {
      return await this.deps.sender.send(request.callId, { method: request.method, params: request.params });
    } catch (err) {
      const verdict = this.deps.classify(err);
      if (!verdict) throw err;
      if (verdict === "notSent" && journaled) await this.persist(request.key, undefined);
      throw new HookCrmDeferred(request.key, err);
    }
  }

  private answerOf(request: HookCrmRequest, answer: HookSendResult): unknown {
    if (answer.ok) return answer.result;
    const { code, description } = answer.error;
    const error = new HookCrmError(request.method, code, description);
    if (answer.error.retryable) throw new HookCrmDeferred(request.key, error);
    throw error;
  }

  private replay(request: HookCrmRequest, mark: HookCommandMark, digest: string): unknown {
    if (mark.digest !== digest) {
      this.deps.logger.warn(
        { callId: request.callId, hook: request.point, key: request.key },
        "customization command changed since it was sent (the hook is not deterministic); the stored answer is used",
      );
    }
    if (mark.error) throw new HookCrmError(mark.method, mark.error.code, mark.error.description);
    return mark.result;
  }

  private keep(result: unknown): Pick<HookCommandMark, "result" | "resultDropped"> {
    const max = this.deps.maxStoredResultChars ?? DEFAULT_MAX_RESULT_CHARS;
    const json = JSON.stringify(result);
    if (json === undefined) return {};
    return json.length <= max ? { result: JSON.parse(json) as unknown } : { resultDropped: true };
  }

  private stamp(): string {
    return this.now().toISOString();
  }
}

/** A store over a plain record (what the journal holds), for the wiring and the tests. */
export class RecordCommandStore implements HookCommandStore {
  constructor(
    readonly entries: Record<string, HookCommandMark>,
    private readonly persist: (entries: Record<string, HookCommandMark>) => Promise<void> = async () => {},
  ) {}

  get(key: string): HookCommandMark | undefined {
    return Object.hasOwn(this.entries, key) ? this.entries[key] : undefined;
  }

  async put(key: string, mark: HookCommandMark | undefined): Promise<void> {
    if (mark) this.entries[key] = mark;
    else delete this.entries[key];
    await this.persist(this.entries);
  }
}
