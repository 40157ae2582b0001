import type { CallContext } from "../calls/context.ts";
import type { CallSession } from "../calls/session.ts";

/**
 * Channel variable the dialplan reads after `Stasis()` returns: `fallback` means the app handed the
 * call back (`continue`, so STASISSTATUS is SUCCESS) and the dialplan's fallback must run.
 */
export const HANDOFF_VARIABLE = "ITGRIX_HANDOFF";

/**
 * A new call the app cannot make durable (Redis unreachable within the routing budget) goes back to
 * the dialplan at once, so its fallback (`ITGRIX_FALLBACK_DIAL`, or a plain dial for operators' calls)
 * rings instead of the caller hearing nothing. The app forgets the call; re-processing from
 * Asterisk's CDR/CEL puts it in the CRM later.
 */
export async function handToDialplan(ctx: CallContext, call: CallSession, channelId: string): Promise<void> {
  ctx.sessions.handOff(call);
  call.log.warn(
    { channelId, direction: call.ctl.direction },
    "Redis unreachable: call handed to the dialplan fallback (re-processing will find it)",
  );
  try {
    await ctx.rest.setVariable(channelId, HANDOFF_VARIABLE, "fallback");
    await ctx.rest.continueInDialplan(channelId);
  } catch (err) {
    call.log.error({ channelId, err: (err as Error).message }, "could not hand the call to the dialplan");
  }
}
