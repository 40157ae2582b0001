import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  JournaledHookCrm,
  RecordCommandStore,
  type HookCommandMark,
  type HookSendResult,
} from "../../../core/hooks/crmGateway.ts";
import { HookCommandOutcomeUnknown, HookCrmDeferred, HookCrmError } from "../../../core/hooks/errors.ts";
import type { HookCrmRequest } from "../../../core/hooks/ports.ts";
import * as scenario from "../calls/scenarios.ts";
import { callOf, capturingLogger, customization, runnerWith } from "./support.ts";

class DeliveryHeld extends Error {}
class DeliveryAmbiguous extends Error {}

function gateway(
  answers: (HookSendResult | Error)[],
  entries: Record<string, HookCommandMark> = {},
): {
  crm: JournaledHookCrm;
  sent: string[];
  store: RecordCommandStore;
  lines: ReturnType<typeof capturingLogger>["lines"];
} {
  const sent: string[] = [];
  const { logger, lines } = capturingLogger();
  const store = new RecordCommandStore(entries);
  const crm = new JournaledHookCrm({
    store,
    logger,
    now: () => new Date("2025-03-03T09:05:00.000Z"),
    classify: (err) =>
      err instanceof DeliveryHeld ? "notSent" : err instanceof DeliveryAmbiguous ? "unknown" : undefined,
    sender: {
      send: async (_callId, command) => {
        sent.push(command.method);
        const next = answers.shift() ?? { ok: true, result: true };
        if (next instanceof Error) throw next;
        return next;
      },
    },
  });
  return { crm, sent, store, lines };
}

const request = (over: Partial<HookCrmRequest> = {}): HookCrmRequest => ({
  callId: "1741000000.42",
  point: "afterFinish",
  key: "activity/afterFinish/#1",
  method: "crm.activity.update",
  params: { id: 7, fields: { COMPLETED: "Y" } },
  journal: true,
  ifUnknown: "skip",
  ...over,
});

const crm2Store = (entries: Record<string, HookCommandMark>) => entries["activity/afterFinish/#1"];

describe("JournaledHookCrm", () => {
  it("sends a journaled command once; a re-run gets the stored answer", async () => {
    const { crm, sent, store } = gateway([{ ok: true, result: 1234 }]);
    assert.equal(await crm.call(request()), 1234);
    assert.equal(await crm.call(request()), 1234);
    assert.deepEqual(sent, ["crm.activity.update"]);
    const mark = store.get("activity/afterFinish/#1");
    assert.equal(mark?.doneAt, "2025-03-03T09:05:00.000Z");
    assert.equal(mark?.result, 1234);
    assert.equal(mark?.idempotent, false);
  });

  it("stores a permanent refusal: the re-run throws the same error without sending", async () => {
    const refusal = { code: "ERROR_CORE", description: "Activity is not found", retryable: false };
    const { crm, sent } = gateway([{ ok: false, error: refusal }]);
    await assert.rejects(crm.call(request()), HookCrmError);
    await assert.rejects(crm.call(request()), /Activity is not found/);
    assert.equal(sent.length, 1);
  });

  it("an intent without an answer (a worker died) is not sent again by default", async () => {
    const entries = {
      "activity/afterFinish/#1": {
        method: "crm.activity.update",
        idempotent: false,
        digest: "x",
        intentAt: "t",
      },
    };
    const { crm, sent, lines } = gateway([], entries);
    await assert.rejects(crm.call(request()), HookCommandOutcomeUnknown);
    assert.equal(sent.length, 0);
    assert.ok(lines.some((l) => /not sent again/.test(l.msg) && l.callId === "1741000000.42"));
  });

  it("with ifUnknown resend, an intent without an answer is sent again (idempotent commands)", async () => {
    const entries = {
      "activity/afterFinish/#1": {
        method: "crm.activity.update",
        idempotent: false,
        digest: "x",
        intentAt: "t",
      },
    };
    const { crm, sent } = gateway([{ ok: true, result: true }], entries);
    assert.equal(await crm.call(request({ ifUnknown: "resend" })), true);
    assert.equal(sent.length, 1);
    assert.equal(crm2Store(entries)?.idempotent, true, "stored as safe to send twice");
  });

  it("delivery that provably did not run leaves no trace: deferred now, sent on the next run", async () => {
    const { crm, sent, store } = gateway([new DeliveryHeld("held"), { ok: true, result: true }]);
    await assert.rejects(crm.call(request()), HookCrmDeferred);
    assert.equal(store.get("activity/afterFinish/#1"), undefined);
    assert.equal(await crm.call(request()), true);
    assert.equal(sent.length, 2);
  });

  it("delivery that may have run keeps the intent: deferred now, unknown (not resent) next time", async () => {
    const { crm, sent } = gateway([new DeliveryAmbiguous("timeout after sending")]);
    await assert.rejects(crm.call(request()), HookCrmDeferred);
    await assert.rejects(crm.call(request()), HookCommandOutcomeUnknown);
    assert.equal(sent.length, 1);
  });

  it("reads are sent every time and leave nothing in the journal", async () => {
    const { crm, sent, store } = gateway([
      { ok: true, result: { ID: "7" } },
      { ok: true, result: { ID: "7" } },
    ]);
    const read = request({
      method: "crm.activity.get",
      params: { id: 7 },
      journal: false,
      key: "a/afterFinish/#1",
    });
    await crm.call(read);
    await crm.call(read);
    assert.equal(sent.length, 2);
    assert.deepEqual(store.entries, {});
  });

  it("a replay whose parameters changed is logged and gets the stored answer", async () => {
    const { crm, sent, lines } = gateway([{ ok: true, result: 1 }]);
    await crm.call(request());
    assert.equal(await crm.call(request({ params: { id: 8, fields: {} } })), 1);
    assert.equal(sent.length, 1);
    assert.ok(lines.some((l) => /not deterministic/.test(l.msg)));
  });

  it("a journal write that fails defers the command (the reconcile stops like on its own writes)", async () => {
    const { logger } = capturingLogger();
    const crm = new JournaledHookCrm({
      store: { get: () => undefined, put: async () => Promise.reject(new Error("lock lost")) },
      sender: { send: async () => ({ ok: true, result: true }) },
      classify: () => undefined,
      logger,
    });
    await assert.rejects(crm.call(request()), HookCrmDeferred);
  });
});

describe("JournaledHookCrm under the runner: a retried reconcile never sends a hook's command twice", () => {
  it("keys are stable across runs (#n per customization), so the second run sends nothing", async () => {
    const call = callOf(scenario.ivrMissedThenGroup());
    const entries: Record<string, HookCommandMark> = {};
    const sent: string[] = [];
    const { logger } = capturingLogger();
    const crm = new JournaledHookCrm({
      store: new RecordCommandStore(entries),
      sender: {
        send: async (_id, c) => (
          sent.push(`${c.method} ${JSON.stringify(c.params)}`),
          { ok: true, result: 1 }
        ),
      },
      classify: () => undefined,
      logger,
    });
    const notify = customization("notify", {
      onIvrMissed: async (ctx) => {
        await ctx.crm.call("im.notify.personal.add", { USER_ID: 5, MESSAGE: "first" });
        await ctx.crm.call("im.notify.personal.add", { USER_ID: 6, MESSAGE: "second" });
        await ctx.crm.call("user.get", { ID: 5 }); // a read: not journaled, sent each run
      },
    });
    const { runner } = runnerWith([notify]);
    const input = { extension: "105", digits: "105", userId: 5 };
    await runner.run("onIvrMissed", { call, input, value: undefined, crm });
    await runner.run("onIvrMissed", { call, input, value: undefined, crm });
    assert.deepEqual(Object.keys(entries).sort(), ["notify/onIvrMissed/#1", "notify/onIvrMissed/#2"]);
    assert.equal(sent.filter((s) => s.startsWith("im.notify")).length, 2);
    assert.equal(sent.filter((s) => s.startsWith("user.get")).length, 2);
  });

  it("event instances and own keys keep occurrences apart", async () => {
    const call = callOf(scenario.blindTransfer());
    const requests: HookCrmRequest[] = [];
    const { runner } = runnerWith([
      customization("log", {
        onAnswer: async (ctx) => {
          await ctx.crm.call(
            "im.notify.personal.add",
            { USER_ID: 1, MESSAGE: "a" },
            { key: `user-${ctx.input.userId}` },
          );
        },
      }),
    ]);
    for (const [legId, userId] of [
      ["leg-101", 1],
      ["leg-103", 3],
    ] as const) {
      await runner.run("onAnswer", {
        call,
        input: { bxCallId: "c", legId, extension: legId.slice(4), userId, at: "t" },
        value: undefined,
        instance: legId,
        crm: { call: async (r) => void requests.push(r) },
      });
    }
    assert.deepEqual(
      requests.map((r) => r.key),
      ["log/onAnswer[leg-101]/user-1", "log/onAnswer[leg-103]/user-3"],
    );
  });
});
