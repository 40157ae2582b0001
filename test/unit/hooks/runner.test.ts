import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HookCrmRequest } from "../../../core/hooks/ports.ts";
import { HookCrmDeferred } from "../../../core/hooks/errors.ts";
import * as scenario from "../calls/scenarios.ts";
import { callOf, customization, runnerWith, sleep } from "./support.ts";

const call = callOf(scenario.inboundAnswered());

describe("HookRunner: composition", () => {
  it("given no customization, returns the stage's own value object untouched", async () => {
    const { runner } = runnerWith([]);
    const value = { userId: 1, reason: "answered" };
    const result = await runner.run("resolveResponsible", { call, input: {}, value });
    assert.equal(result, value);
  });

  it("given a replacement, returns a mutable copy of it", async () => {
    const { runner } = runnerWith([customization("a", { talkDuration: () => 42 })]);
    assert.equal(await runner.run("talkDuration", { call, input: {}, value: 60 }), 42);
    const { runner: r2 } = runnerWith([customization("b", { cardAudience: () => [5, 3, 5] })]);
    const audience = await r2.run("cardAudience", { call, input: {}, value: [1] });
    assert.deepEqual(audience, [3, 5], "sorted and unique, as the planner compares them");
    audience.push(9); // the stage may change what it got
  });

  it("composes outermost first: outer layers see inner results through next(), ctx.value is the stage's", async () => {
    const seen: unknown[] = [];
    const outer = customization("outer", {
      talkDuration: async (ctx, next) => {
        const inner = await next();
        seen.push(["outer", ctx.value, inner]);
        return inner + 1;
      },
    });
    const inner = customization("inner", {
      talkDuration: (ctx) => {
        seen.push(["inner", ctx.value]);
        return ctx.value * 2;
      },
    });
    const { runner } = runnerWith([outer, inner]);
    assert.equal(await runner.run("talkDuration", { call, input: {}, value: 10 }), 21);
    assert.deepEqual(seen, [
      ["inner", 10],
      ["outer", 10, 20],
    ]);
  });

  it("returning nothing keeps what the inner layers made", async () => {
    const { runner } = runnerWith([
      customization("observer", { talkDuration: () => undefined }),
      customization("changer", { talkDuration: () => 7 }),
    ]);
    assert.equal(await runner.run("talkDuration", { call, input: {}, value: 10 }), 7);
  });

  it("runs the inner chain once even when next() is called twice", async () => {
    let innerRuns = 0;
    const { runner } = runnerWith([
      customization("twice", {
        talkDuration: async (_ctx, next) => (await next()) + (await next()),
      }),
      customization("counted", {
        talkDuration: () => {
          innerRuns++;
          return 5;
        },
      }),
    ]);
    assert.equal(await runner.run("talkDuration", { call, input: {}, value: 1 }), 10);
    assert.equal(innerRuns, 1);
  });

  it("a layer that does not call next() overrides the inner layers of a decision", async () => {
    let innerRan = false;
    const { runner } = runnerWith([
      customization("override", { statusCode: () => "200" }),
      customization("inner", {
        statusCode: () => {
          innerRan = true;
          return "486";
        },
      }),
    ]);
    assert.equal(await runner.run("statusCode", { call, input: { outcome: "missed" }, value: "304" }), "200");
    assert.equal(innerRan, false);
  });

  it("runs every layer of an event, whether or not a layer calls next(), and ignores returned values", async () => {
    const ran: string[] = [];
    const { runner, counts } = runnerWith([
      customization("a", { onCallFailed: () => void ran.push("a") }),
      customization("b", {
        onCallFailed: (() => {
          ran.push("b");
          return 1;
        }) as never,
      }),
    ]);
    const input = { step: "finish", code: "ERROR_CORE", reason: "x" };
    assert.equal(await runner.run("onCallFailed", { call, input, value: undefined }), undefined);
    assert.deepEqual(ran, ["a", "b"]);
    assert.equal(counts.get("hooks.errors.onCallFailed"), undefined, "a returned value is not an error");
  });
});

describe("HookRunner: failures fall back and are counted", () => {
  it("a throwing layer is skipped, logged with call id, point and customization, and counted", async () => {
    const { runner, lines, counts } = runnerWith([
      customization("broken", {
        resolveResponsible: () => {
          throw new Error("boom");
        },
      }),
      customization("fine", { resolveResponsible: () => ({ userId: 7, reason: "fine" }) }),
    ]);
    const result = await runner.run("resolveResponsible", {
      call,
      input: {},
      value: { userId: 1, reason: "answered" },
    });
    assert.deepEqual(result, { userId: 7, reason: "fine" });
    assert.equal(counts.get("hooks.errors.resolveResponsible"), 1);
    const line = lines.find((l) => l.customization === "broken");
    assert.ok(line, "a log line names the customization");
    assert.equal(line.callId, call.callId);
    assert.equal(line.hook, "resolveResponsible");
    assert.match(String(line.err), /boom/);
    assert.equal(runner.stats.snapshot().resolveResponsible?.errors, 1);
  });

  it("a single failing customization leaves the stage's own value", async () => {
    const { runner } = runnerWith([
      customization("broken", {
        talkDuration: async () => {
          await sleep(1);
          throw new TypeError("undefined is not a function");
        },
      }),
    ]);
    assert.equal(await runner.run("talkDuration", { call, input: {}, value: 60 }), 60);
  });

  it("refuses a value that fails the point's schema (a protected or misspelt key, a wrong type)", async () => {
    const base = { USER_ID: 2, DURATION: 60, STATUS_CODE: "200", ADD_TO_CHAT: 1 as const };
    for (const bad of [
      { ...base, CALL_ID: "x" },
      { ...base, DURATION: -1 },
      { ...base, USER_ID: "2" },
    ]) {
      const { runner, lines, counts } = runnerWith([
        customization("bad", { beforeFinish: () => bad as never }),
      ]);
      const result = await runner.run("beforeFinish", { call, input: { bxCallId: "c1" }, value: base });
      assert.deepEqual(result, base);
      assert.equal(counts.get("hooks.errors.beforeFinish"), 1);
      assert.match(String(lines.find((l) => l.customization === "bad")?.err), /invalid value/);
    }
  });

  it("refuses a value the stage's accept() check refuses", async () => {
    const { runner, lines } = runnerWith([
      customization("route", { routeInbound: () => ({ kind: "group", group: "nope" }) }),
    ]);
    const value = { kind: "group" as const, group: "sales" };
    const result = await runner.run("routeInbound", {
      call,
      input: { did: "74950000000", callerNumber: "84951234567" },
      value,
      accept: (route) =>
        route.kind === "group" && route.group !== "sales" ? `unknown group ${route.group}` : undefined,
    });
    assert.equal(result, value);
    assert.match(String(lines.find((l) => l.customization === "route")?.err), /unknown group nope/);
  });

  it("a hook that changes the call or ctx.value in place fails (they are deep-frozen) and is skipped", async () => {
    const { runner, counts } = runnerWith([
      customization("mutates-call", {
        talkDuration: (ctx) => {
          (ctx.call.legs[0] as { extension: string }).extension = "999";
          return 1;
        },
      }),
      customization("mutates-value", {
        cardAudience: (ctx) => {
          (ctx.value as number[]).push(99);
          return undefined;
        },
      }),
    ]);
    assert.equal(await runner.run("talkDuration", { call, input: {}, value: 60 }), 60);
    const value = [1, 2];
    assert.deepEqual(await runner.run("cardAudience", { call, input: {}, value }), [1, 2]);
    assert.deepEqual(value, [1, 2]);
    assert.equal(call.legs[0]?.extension, "101", "the stage's call is untouched");
    assert.equal(counts.get("hooks.errors.talkDuration"), 1);
    assert.equal(counts.get("hooks.errors.cardAudience"), 1);
  });

  it("a hung hook is cut at the time limit: the stage's value, the culprit named, ctx closed", async () => {
    let late: Promise<unknown> | undefined;
    let signal: AbortSignal | undefined;
    const { runner, lines, counts } = runnerWith(
      [
        customization("outer", { afterFinish: async (_ctx, next) => next() }),
        customization("hung", {
          afterFinish: async (ctx) => {
            signal = ctx.signal;
            await sleep(400);
            late = ctx.crm.call("im.notify.personal.add", { USER_ID: 1, MESSAGE: "late" });
            await late.catch(() => undefined);
          },
        }),
      ],
      { pointTimeLimitsMs: { afterFinish: 50 } },
    );
    const sent: HookCrmRequest[] = [];
    const input = { bxCallId: "c", activityId: "1", userId: 1, duration: 60, statusCode: "200" };
    const started = Date.now();
    await runner.run("afterFinish", {
      call,
      input,
      value: undefined,
      crm: { call: async (r) => void sent.push(r) },
    });
    assert.ok(Date.now() - started < 390, "the run did not wait for the hung hook");
    assert.equal(counts.get("hooks.timeouts.afterFinish"), 1);
    const line = lines.find((l) => /time limit/.test(l.msg));
    assert.equal(line?.customization, "hung");
    assert.equal(line?.limitMs, 50);
    assert.equal(signal?.aborted, true);
    await sleep(450);
    await assert.rejects(late!, /has ended/);
    assert.equal(sent.length, 0, "nothing is sent after the run ended");
  });

  it("waiting for ctx.crm does not count against the time limit", async () => {
    const { runner, counts } = runnerWith(
      [
        customization("slow-portal", {
          resolveResponsible: async (ctx) => {
            const user = await ctx.crm.call<{ ID: string }[]>("user.get", { ID: 5 });
            return { userId: Number(user[0]!.ID), reason: "crm" };
          },
        }),
      ],
      { pointTimeLimitsMs: { resolveResponsible: 300 } },
    );
    const result = await runner.run("resolveResponsible", {
      call,
      input: {},
      value: null,
      crm: {
        call: async () => {
          await sleep(600);
          return [{ ID: "5" }];
        },
      },
    });
    assert.deepEqual(result, { userId: 5, reason: "crm" });
    assert.equal(counts.get("hooks.timeouts.resolveResponsible"), undefined);
  });

  it("a deferred CRM command goes through to the stage (the reconcile comes back later)", async () => {
    const { runner, counts } = runnerWith([
      customization("notify", {
        onIvrMissed: async (ctx) => {
          await ctx.crm.call("im.notify.personal.add", { USER_ID: 5, MESSAGE: "missed" });
        },
      }),
    ]);
    await assert.rejects(
      runner.run("onIvrMissed", {
        call,
        input: { extension: "105", digits: "105", userId: 5 },
        value: undefined,
        crm: {
          call: async (r) => {
            throw new HookCrmDeferred(r.key, new Error("delivery held"));
          },
        },
      }),
      HookCrmDeferred,
    );
    assert.equal(counts.get("hooks.deferred.onIvrMissed"), 1);
  });
});
