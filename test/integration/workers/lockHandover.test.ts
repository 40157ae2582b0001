import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { METHOD, sameMethod } from "../../../workers/calls/commands.ts";
import { Timeline } from "../../unit/workers/callBuilder.ts";
import { useRedis } from "../../support/redisServer.ts";
import { ok, reconcilerOn, type Answer } from "./scriptedPortal.ts";

/**
 * A job that finds its call locked leaves the work to the lock's holder instead of polling the lock:
 * the holder finds on release that the call changed after its last look and reconciles the new state
 * at once. Real Redis (locks, marks, journal); the portal is scripted.
 */
const shared = useRedis();

const registered: Answer = (c) =>
  sameMethod(c.method, METHOD.statistic) ? ok([]) : ok({ CALL_ID: "externalCall.9", CRM_ACTIVITY_ID: 9 });

describe("a call locked by a busy worker", () => {
  it("given a newer state after the holder's last look at the call, then the holder delivers it before it stops, and the locked job leaves at once", async () => {
    const s = reconcilerOn(shared.redis, registered);
    const callId = "1743100001.1";
    const call = new Timeline(callId).dial(1, "102");
    await s.calls.put(call.state());

    // The call ends while the holder works on it (ringing), and the end's job finds the call locked.
    // Until the holder releases the lock its reads of the call come too early to see the end: the
    // end came after its last look.
    const ringing = call.state();
    const read = s.calls.get.bind(s.calls);
    let locked: unknown;
    let lockedMs = Infinity;
    s.calls.get = async (id: string) => {
      if (locked === undefined) {
        await s.calls.put(call.answer(4, "102").end(30).state());
        const started = Date.now();
        locked = await s.reconciler.reconcile(callId);
        lockedMs = Date.now() - started;
        return ringing;
      }
      if (await shared.redis.exists(s.keys.callWorkLeft(callId))) return ringing;
      return read(id);
    };

    assert.equal((await s.reconciler.reconcile(callId)).status, "delivered");
    assert.deepEqual(locked, { status: "locked" });
    assert.ok(lockedMs < 1000, `the locked job waited ${lockedMs} ms for the holder`);
    assert.equal(s.portal.count(METHOD.register), 1);
    assert.equal(s.portal.count(METHOD.finish), 1, "the holder finished the call it had seen ringing");
    assert.equal(await shared.redis.exists(s.keys.callWorkLeft(callId)), 0, "the mark was taken");
  });

  it("given no other job meanwhile, then the holder reconciles once", async () => {
    const s = reconcilerOn(shared.redis, registered);
    const callId = "1743100002.2";
    await s.calls.put(new Timeline(callId).dial(1, "102").answer(4, "102").end(30).state());
    assert.equal((await s.reconciler.reconcile(callId)).status, "delivered");
    assert.equal(s.portal.count(METHOD.statistic), 0, "no second pass verified anything");
    assert.equal(s.portal.count(METHOD.finish), 1);
  });
});
