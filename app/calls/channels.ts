import { isNotFound } from "../ari/rest.ts";
import type { CallContext } from "./context.ts";

/** Hangs a channel up; a channel that is already gone (404) is what we wanted anyway. */
export async function hangupQuietly(ctx: CallContext, channelId: string, reason = "normal"): Promise<void> {
  try {
    await ctx.rest.hangup(channelId, reason);
  } catch (err) {
    if (!isNotFound(err)) ctx.logger.warn({ channelId, err: (err as Error).message }, "hangup failed");
  }
}

export function bridgeIdOf(callId: string): string {
  return `itgrix-${callId}`;
}
