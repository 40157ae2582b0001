import type { BitrixEvent } from "../http/types.ts";

/** Where a verified event came from: the HTTP handler, or the workers' offline poll (Redis stream). */
export type CrmEventSource = "online" | "offline";

/** How the app came by an event: when it arrived (a held event is offered again later). */
export interface CrmEventTake {
  /** The same for every offer of one arrival (its dedupe mark carries it, so a re-offer is not a duplicate). */
  id: string;
  receivedAt: number;
}

/** A take as the handler gets it. */
export interface HandledTake extends CrmEventTake {
  /**
   * Marks the event done: an offer of this same take afterwards (an app killed before the offline
   * stream entry was acknowledged reads it again) is a duplicate. Call it once what the event started
   * is durable; the intake calls it after `handle` returns anyway. Best effort, never throws.
   */
  commit(): Promise<void>;
}

/**
 * Thrown by a handler that did nothing yet and cannot now (Redis away): the intake answers
 * `unavailable`, and the event is offered again later (held on disk, or left pending in the stream).
 */
export class EventNotTaken extends Error {
  override readonly name: string = "EventNotTaken";
}

/**
 * What a feature does with one Bitrix24 event. `handle` runs after the event was deduplicated; an
 * error is logged by the intake and never reaches the portal.
 */
export interface CrmEventHandler {
  handle(event: BitrixEvent, source: CrmEventSource, take: HandledTake): Promise<void>;
  /**
   * The key that makes a second delivery of the same event a duplicate (default: `data[CALL_ID]`);
   * undefined = not deduplicated.
   */
  dedupeKey?(event: BitrixEvent): string | undefined;
}

/**
 * Event name → handler. The seam features plug into (`app/appProcess.ts` registers them):
 *
 *   events.register("ONEXTERNALCALLSTART", clickToCall);
 *   events.register("ONEXTERNALCALLBACKSTART", callbackForm);
 *
 * An event without a handler is logged and counted (`events.unhandled`), never an error.
 */
export class CrmEventRegistry {
  private readonly handlers = new Map<string, CrmEventHandler>();

  register(name: string, handler: CrmEventHandler): void {
    const key = name.toUpperCase();
    if (this.handlers.has(key)) throw new Error(`a handler for ${key} is registered already`);
    this.handlers.set(key, handler);
  }

  handlerFor(name: string): CrmEventHandler | undefined {
    return this.handlers.get(name.toUpperCase());
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }
}
