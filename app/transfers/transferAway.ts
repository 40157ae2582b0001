import type { CallEvent } from "../../core/calls/types.ts";

export interface TransferAway {
  at: string;
  kind: "blind" | "attended";
  /** The transferring operator's leg, leaving the client's conversation. */
  legId: string;
  fromExtension: string;
  toExtension: string;
}

/**
 * The events of a transferring operator leaving the client's conversation. `transferred` goes first:
 * the call model closes the open conversation as "transferred" and lets the target's start. Pure.
 */
export function transferAwayEvents(t: TransferAway): CallEvent[] {
  const { at, kind, fromExtension, toExtension } = t;
  return [
    { type: "transferred", at, kind, fromExtension, toExtension },
    { type: "conversationEnded", at, legId: t.legId, reason: "transferred" },
  ];
}
