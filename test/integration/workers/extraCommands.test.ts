import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { METHOD, sameMethod } from "../../../workers/calls/commands.ts";
import type { ExtraCommand } from "../../../workers/calls/plan.ts";
import { DeliveryError } from "../../../workers/delivery/deliveryError.ts";
import { Timeline } from "../../unit/workers/callBuilder.ts";
import { useRedis } from "../../support/redisServer.ts";
import { ok, reconcilerOn, type Answer } from "./scriptedPortal.ts";

/**
 * Commands beyond the reconciler's own (what customization hooks will send) are journaled by key and
 * sent exactly once per call — a retried or repeated reconcile never sends them again, an unanswered
 * one is re-sent only when it is idempotent, and they never touch the card bookkeeping.
 */
const shared = useRedis();

const portal: Answer = (c) => {
  if (sameMethod(c.method, METHOD.statistic)) return ok([]);
  if (sameMethod(c.method, "crm.activity.update")) return ok(true);
  if (sameMethod(c.method, "im.notify.personal.add")) return ok(4711);
  return ok({ CALL_ID: "externalCall.1", CRM_ACTIVITY_ID: 77 });
};

const complete: ExtraCommand = {
  key: "autoComplete",
  after: "finish",
  idempotent: true,
  command: { method: "crm.activity.update", params: { id: 77, fields: { COMPLETED: "Y" } } },
};
const notify: ExtraCommand = {
  key: "missedNotify",
  after: "finish",
  idempotent: false,
  command: { method: "im.notify.personal.add", params: { USER_ID: 3, MESSAGE: "missed" } },
};

let seq = 0;
const ended = () => {
  const callId = `1746000${String(++seq).padStart(3, "0")}.${seq}`;
  return new Timeline(callId).dial(1, "102", "103").answer(4, "102").end(34).state();
};

describe("extra commands by key", () => {
  it("given a delivered call reconciled again and again, then each extra command was sent once, its answer kept", async () => {
    const s = reconcilerOn(shared.redis, portal, { extraCommands: () => [complete, notify] });
    const call = ended();
    await s.calls.put(call);
    for (let i = 0; i < 3; i++) assert.equal((await s.reconciler.reconcile(call.callId)).status, "delivered");
    assert.equal(s.portal.count("crm.activity.update"), 1);
    assert.equal(s.portal.count("im.notify.personal.add"), 1);
    const journal = await s.journal(call.callId);
    assert.equal(journal.extra?.missedNotify?.result, 4711);
    assert.ok(journal.extra?.autoComplete?.doneAt);
    assert.deepEqual(journal.cardsShownTo, [], "a crm.activity.update is no card command");
  });

  it("given their answer was lost, then the idempotent one is sent again and the other never — the call is still delivered", async () => {
    const s = reconcilerOn(shared.redis, portal, { extraCommands: () => [complete, notify] });
    const call = ended();
    await s.calls.put(call);
    let lost = false;
    s.portal.failGroup = (group) => {
      if (lost || !group.commands.some((c) => sameMethod(c.method, "im.notify.personal.add")))
        return undefined;
      lost = true;
      return new DeliveryError(
        "ambiguous",
        { code: "TIMEOUT", description: "no answer", retryable: true },
        1,
      );
    };
    assert.equal((await s.reconciler.reconcile(call.callId)).status, "delivered");
    assert.equal(s.portal.count("crm.activity.update"), 2);
    assert.equal(s.portal.count("im.notify.personal.add"), 1);
    const journal = await s.journal(call.callId);
    assert.match(journal.extra?.missedNotify?.error ?? "", /^AMBIGUOUS/);
    assert.ok(journal.extra?.autoComplete?.doneAt);
  });
});
