import type { CallContext } from "./context.ts";

/**
 * Operators in a call (`operators:busy`: extension → call id), so a hunt skips them. Bookkeeping on
 * the routing path: marks are sent without waiting, the lookup waits at most the routing budget
 * (without Redis nobody counts as busy; a stale mark is dropped by the resync, or when a hunt meets it).
 */
export function markBusy(ctx: CallContext, extension: string, callId: string): void {
  ctx.redis.write("mark busy", (r) => r.hset(ctx.keys.busyOperators, extension, callId));
}

const RELEASE = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0`;

export function releaseBusy(ctx: CallContext, extension: string, callId: string): void {
  ctx.redis.write("release busy", (r) => r.eval(RELEASE, 1, ctx.keys.busyOperators, extension, callId));
}

/**
 * The live call the operator is busy with, if any. A mark naming a call that is no longer live (its
 * end missed the release: an attended transfer whose client had gone, a crash) is dropped here, so a
 * stale mark never keeps an operator out of routing until the next restart.
 */
export async function liveBusyWith(ctx: CallContext, extension: string): Promise<string | undefined> {
  const callId = await busyWith(ctx, extension);
  if (!callId || (await isLiveCall(ctx, callId))) return callId;
  ctx.logger.warn({ extension, callId }, "busy mark of a call that is no longer live dropped");
  releaseBusy(ctx, extension, callId);
  return undefined;
}

async function isLiveCall(ctx: CallContext, callId: string): Promise<boolean> {
  const known = ctx.sessions.get(callId);
  if (known) return !known.ctl.ended;
  return ctx.redis.read("call control", () => ctx.sessions.isLive(callId), true);
}

/** The call the operator is busy with, if any. */
export function busyWith(ctx: CallContext, extension: string): Promise<string | undefined> {
  return ctx.redis.read(
    "busy operators",
    async (r) => (await r.hget(ctx.keys.busyOperators, extension)) ?? undefined,
    undefined,
  );
}
