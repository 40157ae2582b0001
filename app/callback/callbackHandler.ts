import { randomUUID } from "node:crypto";
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
export function callbackEventHandler(
  ctx: CallContext,
): (event: BitrixEvent, take?: { id: string }) => Promise<CallbackOutcome> {
  return async (event, take = { id: randomUUID() }) => {
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
      // The mark holds the take: the same offer again (held, or an offline entry read again after a
      // kill before the callback was durable) is not its own repeat; `done:` once the call is in Redis.
      async (r) =>
        (await r.set(seenKey, take.id, "EX", window, "NX")) === "OK" || (await r.get(seenKey)) === take.id,
      undefined,
    );
    const commit = () =>
      ctx.redis.write("callback dedupe done", (r) => r.set(seenKey, `done:${take.id}`, "KEEPTTL", "XX"));
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
      return { kind: "started", callId: await startCallback(ctx, request, commit) };
    } catch (err) {
      if (err instanceof CallbackNotStarted) throw deferred(err.message);
      ctx.redis.write("callback dedupe undo", (r) => r.del(seenKey));
      throw err;
    }
  };
}
