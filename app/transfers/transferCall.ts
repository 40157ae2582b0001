import { isNotFound } from "../ari/rest.ts";
import type { AriChannel } from "../ari/types.ts";
import type { CallControl } from "../calls/control.ts";
import type { CallContext } from "../calls/context.ts";

/**
 * Which call the Local `;2` half of a blind transfer (StasisStart `transfer,<exten>`) belongs to.
 * It inherits the call's linkedid from the transferring channel; reading it can fail under load
 * (ARI timeouts), and hanging the half up then would leave the client alone in the bridge. So the
 * read is retried, then the call whose control record says a blind transfer to that extension is in
 * progress is adopted (when exactly one does).
 */

/** Pauses between reads of the channel's linkedid (about 1.5 s in all). */
export const LINKEDID_RETRY_MS = [150, 400, 1000];

export type TransferCallMatch =
  | { callId: string; by: "linkedid" | "pendingTransfer"; candidates?: undefined }
  | { callId?: undefined; by: "gone" | "none" | "ambiguous"; candidates?: string[] };

/** The one live call with a pending blind transfer to `exten` (pure). */
export function pendingBlindTransferCall(controls: readonly CallControl[], exten: string): TransferCallMatch {
  const candidates = controls
    .filter((c) => !c.ended && !c.ending && c.transferTo?.kind === "blind")
    .filter((c) => c.transferTo!.extension === exten)
    .map((c) => c.callId);
  if (candidates.length === 1) return { callId: candidates[0]!, by: "pendingTransfer" };
  return candidates.length === 0 ? { by: "none" } : { by: "ambiguous", candidates };
}

export async function transferCallOf(
  ctx: CallContext,
  channel: AriChannel,
  exten: string,
  retryMs: readonly number[] = LINKEDID_RETRY_MS,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<TransferCallMatch> {
  const fromEvent = channel.channelvars?.["CHANNEL(linkedid)"];
  const eventCallId = fromEvent ? ctx.server.callIdOf(fromEvent) : undefined;
  if (eventCallId && ctx.sessions.get(eventCallId)) return { callId: eventCallId, by: "linkedid" };
  const log = { channelId: channel.id, exten };
  for (let attempt = 0; attempt <= retryMs.length; attempt++) {
    if (attempt > 0) await sleep(retryMs[attempt - 1]!);
    try {
      const linkedid = await ctx.rest.getVariable(channel.id, "CHANNEL(linkedid)");
      const callId = linkedid ? ctx.server.callIdOf(linkedid) : undefined;
      if (callId && (await ctx.sessions.find(callId))) return { callId, by: "linkedid" };
      ctx.logger.warn({ ...log, linkedid, attempt }, "blind transfer: linkedid names no live call");
      break; // asking again gives the same answer
    } catch (err) {
      if (isNotFound(err)) return { by: "gone" };
      ctx.logger.warn(
        { ...log, attempt, err: (err as Error).message },
        "blind transfer: linkedid read failed",
      );
    }
  }
  return pendingBlindTransferCall(
    ctx.sessions.list().map((s) => s.ctl),
    exten,
  );
}
