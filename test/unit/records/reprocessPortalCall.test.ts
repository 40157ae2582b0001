import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CallState } from "../../../core/calls/types.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import type { RebuiltCall } from "../../../core/records/buildCall.ts";
import { reprocessRebuilt } from "../../../core/records/reprocessCall.ts";
import { redisKeys } from "../../../core/redis/keys.ts";
import { ev } from "../calls/callEvents.ts";
import { callOf } from "../hooks/support.ts";

/**
 * A click-to-call is the portal's own call; Asterisk's records do not say so. Re-processing it (the
 * audit, /pbx/read_call) before the workers adopted its CALL_ID must keep the live state's
 * `portalCall`, or the workers would register the call a second time.
 */

describe("re-processing a click-to-call the workers have not delivered yet", () => {
  it("keeps the live state's portalCall in the state it stores", async () => {
    const events = [
      ev.inbound(0),
      ev.dial(0.1, "101"),
      ev.answer(2, "101"),
      ev.talk(2, "101"),
      ev.hangup(5, { hangupBy: "client" }),
      ev.end(5, "101", "answered"),
    ];
    const rebuilt: RebuiltCall = { state: callOf(events), events, complete: true, enteredStasis: true };
    const live: CallState = { ...rebuilt.state, portalCall: { callId: "externalCall.p1", userId: 1 } };
    const stored: CallState[] = [];
    const result = await reprocessRebuilt(
      {
        store: {
          get: async () => live,
          put: async (state: CallState) => (stored.push(state), true),
        } as never,
        queue: { add: async () => undefined } as never,
        redis: { get: async () => null } as never,
        keys: redisKeys("t"),
        logger: createLogger("test", "silent"),
      },
      rebuilt,
    );
    assert.equal(result.outcome, "queued");
    assert.deepEqual(stored[0]?.portalCall, { callId: "externalCall.p1", userId: 1 });
    assert.ok(stored[0]?.rebuiltAt);
  });
});
