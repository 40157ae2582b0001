import type { CallControl } from "../calls/control.ts";
import type { CallContext } from "../calls/context.ts";
import { record } from "../calls/engine.ts";

export interface TransferAway {
  at: string;
  kind: "blind" | "attended";
  /** The transferring operator's leg, leaving the client's conversation. */
  legId: string;
  fromExtension: string;
  toExtension: string;
}

/**
 * The transferring operator leaves the client's conversation. `transferred` goes first: the call
 * model closes the open conversation as "transferred" and lets the target's conversation start.
 */
export async function recordTransferAway(ctx: CallContext, ctl: CallControl, t: TransferAway): Promise<void> {
  await record(ctx, ctl, {
    type: "transferred",
    at: t.at,
    kind: t.kind,
    fromExtension: t.fromExtension,
    toExtension: t.toExtension,
  });
  await record(ctx, ctl, { type: "conversationEnded", at: t.at, legId: t.legId, reason: "transferred" });
}
