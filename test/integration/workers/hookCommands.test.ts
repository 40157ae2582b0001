import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig } from "../../../core/config/loadConfig.ts";
import type { HookMap } from "../../../core/hooks/api.ts";
import { HookRunner } from "../../../core/hooks/runner.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import { METHOD, sameMethod } from "../../../workers/calls/commands.ts";
import { Timeline } from "../../unit/workers/callBuilder.ts";
import { useRedis } from "../../support/redisServer.ts";
import { ok, reconcilerOn, type Answer, type ReconcilerSetup } from "./scriptedPortal.ts";

/**
 * The reconciler with customization hooks, on real Redis: decisions come from the hooks (a throwing
 * one falls back to the connector's value), event hooks run once the call is in the CRM, and their
 * CRM commands are journaled by key — a reconcile repeated after a crash (event not yet marked, or a
 * command sent without its answer stored) never sends one twice.
 */
const shared = useRedis();

const portal: Answer = (c) => {
  if (sameMethod(c.method, METHOD.statistic)) return ok([]);
  if (sameMethod(c.method, "im.notify.personal.add")) return ok(4711);
  return ok({ CALL_ID: "externalCall.1", CRM_ACTIVITY_ID: 77 });
};

const hooks: HookMap = {
  resolveResponsible: () => ({ userId: 9, reason: "test" }),
  talkDuration: () => {
    throw new Error("talkDuration exploded");
  },
  async afterFinish(ctx) {
    await ctx.crm.call("im.notify.personal.add", { USER_ID: ctx.input.userId, MESSAGE: "finished" });
  },
};

function withHooks(): { s: ReconcilerSetup; runner: HookRunner } {
  const runner = new HookRunner({ logger: createLogger("test", "silent"), config: parseConfig({}) });
  runner.use([{ name: "test", origin: "folder", options: {}, hooks }]);
  return { s: reconcilerOn(shared.redis, portal, { hooks: runner }), runner };
}

let seq = 0;
const ended = () => {
  const callId = `1747000${String(++seq).padStart(3, "0")}.${seq}`;
  return new Timeline(callId).dial(1, "102", "103").answer(4, "102").end(34).state();
};

/** The journal as a worker that died at that moment would have left it (not yet delivered). */
async function crashedAfter(
  s: ReconcilerSetup,
  callId: string,
  change: (j: Record<string, unknown>) => void,
) {
  const journal = (await s.journal(callId)) as unknown as Record<string, unknown>;
  delete journal.deliveredAt;
  delete (journal.hookEvents as Record<string, string>).afterFinish;
  change(journal);
  await s.storeJournal(journal as never);
}

describe("reconciler with customization hooks", () => {
  it("given a responsible hook, a throwing duration hook and an afterFinish notification, then finish has the hook's user and the own duration, and the notice goes once over three reconciles", async () => {
    const { s, runner } = withHooks();
    const call = ended();
    await s.calls.put(call);
    for (let i = 0; i < 3; i++) assert.equal((await s.reconciler.reconcile(call.callId)).status, "delivered");
    const finish = s.portal.sent.find((c) => sameMethod(c.method, METHOD.finish));
    assert.equal(finish?.params.USER_ID, 9);
    assert.equal(finish?.params.DURATION, 30, "the connector's own duration");
    assert.equal(s.portal.count("im.notify.personal.add"), 1);
    const journal = await s.journal(call.callId);
    assert.equal(journal.extra?.["test/afterFinish/#1"]?.result, 4711);
    assert.ok(journal.hookEvents?.afterFinish);
    assert.equal(runner.stats.snapshot().talkDuration?.errors, 1);
  });

  it("given a worker died after the notice was answered but before the event was marked, when reconciled again, then the stored answer is used and nothing is sent", async () => {
    const { s } = withHooks();
    const call = ended();
    await s.calls.put(call);
    assert.equal((await s.reconciler.reconcile(call.callId)).status, "delivered");
    await crashedAfter(s, call.callId, () => undefined);
    assert.equal((await s.reconciler.reconcile(call.callId)).status, "delivered");
    assert.equal(s.portal.count("im.notify.personal.add"), 1);
    assert.ok((await s.journal(call.callId)).hookEvents?.afterFinish, "the event is marked now");
  });

  it("given a worker died after sending the notice but before storing its answer, when reconciled again, then it is not sent again (ifUnknown: skip) and the call is delivered", async () => {
    const { s, runner } = withHooks();
    const call = ended();
    await s.calls.put(call);
    assert.equal((await s.reconciler.reconcile(call.callId)).status, "delivered");
    await crashedAfter(s, call.callId, (j) => {
      const extra = j.extra as Record<string, Record<string, unknown>>;
      const mark = extra["test/afterFinish/#1"]!;
      delete mark.doneAt;
      delete mark.result;
    });
    assert.equal((await s.reconciler.reconcile(call.callId)).status, "delivered");
    assert.equal(s.portal.count("im.notify.personal.add"), 1);
    assert.equal(runner.stats.snapshot().afterFinish?.errors, 1, "the hook learnt the outcome is unknown");
  });
});
