import type { CallContext } from "../calls/context.ts";
import { EventNotTaken } from "../crmEvents/registry.ts";
import type { BitrixEvent } from "../http/types.ts";
import { CallbackNotStarted, startCallback } from "./callbackCall.ts";
import { callbackDedupeKey, parseCallbackData } from "./callbackEvent.ts";

/** A callback event that cannot be taken now (Redis away): the event intake offers it again later. */
export class CallbackDeferred extends EventNotTaken {
  override readonly name = "CallbackDeferred";
}

export type CallbackOutcome =
  { kind: "started"; callId: string } | { kind: "duplicate" } | { kind: "malformed"; error: string };

/**
 * The handler of ONEXTERNALCALLBACKSTART for the event intake: `(event) => Promise<outcome>`.
 * A repeated event (the same number on the same line within `routing.callback.dedupeWindowSec`) is
 * ignored, durably: the mark is in Redis before anything rings. Rejects with `CallbackDeferred` when
 * the callback could not be made durable (nothing rang; the mark is taken back so a retry is taken).
 */
export function callbackEventHandler(ctx: CallContext): (event: BitrixEvent) => Promise<CallbackOutcome> {
  return async (event) => {
    const parsed = parseCallbackData(event.data);
    if (!parsed.ok) {
      ctx.logger.warn({ event: event.name, error: parsed.error }, "callback event ignored");
      return { kind: "malformed", error: parsed.error };
    }
    const request = parsed.request;
    const seenKey = ctx.keys.callbackSeen(
      callbackDedupeKey(ctx.normalise(request.phoneNumber), request.lineNumber),
    );
    const window = ctx.config.routing.callback.dedupeWindowSec;
    const fresh = await ctx.redis.read(
      "callback dedupe",
      async (r) => (await r.set(seenKey, String(Date.now()), "EX", window, "NX")) === "OK",
      undefined,
    );
    const deferred = (why: string): CallbackDeferred => {
      // A SET that timed out may still run when Redis is back; the DEL queued behind it takes it back.
      ctx.redis.write("callback dedupe undo", (r) => r.del(seenKey));
      ctx.logger.error(
        { to: request.phoneNumber, line: request.lineNumber, why },
        "callback not taken yet: nothing rang (the event is offered again once Redis is back)",
      );
      return new CallbackDeferred(why);
    };
    if (fresh === undefined) throw deferred("Redis unreachable");
    if (!fresh) {
      ctx.logger.info({ to: request.phoneNumber, line: request.lineNumber }, "repeated callback ignored");
      return { kind: "duplicate" };
    }
    try {
      return { kind: "started", callId: await startCallback(ctx, request) };
    } catch (err) {
      if (err instanceof CallbackNotStarted) throw deferred(err.message);
      ctx.redis.write("callback dedupe undo", (r) => r.del(seenKey));
      throw err;
    }
  };
}
