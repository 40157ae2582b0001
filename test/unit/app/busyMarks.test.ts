import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CallEvent } from "../../../core/calls/types.ts";
import { redisKeys } from "../../../core/redis/keys.ts";
import type { CallControl } from "../../../app/calls/control.ts";
import type { CallContext } from "../../../app/calls/context.ts";
import type { CallSession } from "../../../app/calls/session.ts";
import { dialLeg } from "../../../app/routing/hunt.ts";

/**
 * `operators:busy` must only keep operators out of routing while the call it names is live: the
 * attended-transfer path could leave a mark naming an ended consultation call (the client's call had
 * ended, the target was hung up, nobody released it), and the operator was skipped until a restart.
 */

const keys = redisKeys("t");

function fakeContext(busy: Record<string, string>, liveCalls: string[]) {
  const hash = new Map(Object.entries(busy));
  const fakeRedis = {
    hget: async (_key: string, field: string) => hash.get(field) ?? null,
    hset: async (_key: string, field: string, value: string) => void hash.set(field, value),
    // The compare-and-delete release script.
    eval: async (_script: string, _n: number, _key: string, field: string, callId: string) =>
      hash.get(field) === callId ? Number(hash.delete(field)) : 0,
  };
  const dialled: string[] = [];
  const quiet = () => undefined;
  const ctx = {
    keys,
    logger: { info: quiet, warn: quiet, error: quiet, debug: quiet },
    config: { ari: { app: "itgrix" }, routing: { operatorTech: "PJSIP" } },
    redis: {
      read: async <T>(_what: string, op: (r: unknown) => Promise<T>) => op(fakeRedis),
      write: (_what: string, op: (r: unknown) => Promise<unknown>) => void op(fakeRedis),
    },
    sessions: { get: () => undefined, isLive: async (id: string) => liveCalls.includes(id) },
    rest: { dialOut: async (p: { endpoint: string }) => void dialled.push(p.endpoint) },
  } as unknown as CallContext;
  return { ctx, hash, dialled };
}

function fakeCall(callId: string) {
  const ctl = {
    callId,
    direction: "inbound",
    clientChannelId: "client",
    legs: {},
    aux: [],
    legSeq: 0,
  } as unknown as CallControl;
  const events: CallEvent[] = [];
  const quiet = () => undefined;
  const call = {
    callId,
    ctl,
    bind: quiet,
    log: { info: quiet, warn: quiet, error: quiet },
    change: async (mutate: ((c: CallControl) => void) | undefined, ...ev: CallEvent[]) => {
      mutate?.(ctl);
      events.push(...ev);
    },
    record: async (...ev: CallEvent[]) => void events.push(...ev),
  } as unknown as CallSession;
  return { call, events };
}

const settle = () => new Promise((r) => setImmediate(r));

describe("busy operators are busy with live calls only", () => {
  test("given operators:busy names an ended consultation call, when a new call rings 119, then 119 is dialled and the stale mark is gone", async () => {
    const { ctx, hash, dialled } = fakeContext({ "119": "consult-ended" }, ["new-call"]);
    const { call, events } = fakeCall("new-call");
    const ringing = await dialLeg(ctx, call, "119", "group", 10);
    await settle();
    assert.equal(ringing, true);
    assert.deepEqual(dialled, ["PJSIP/119"]);
    assert.equal(
      events.find((e) => e.type === "legSkipped"),
      undefined,
    );
    assert.equal(hash.has("119"), false, "the stale mark is dropped");
  });

  test("an operator busy with a live call is still skipped, and its mark kept", async () => {
    const { ctx, hash, dialled } = fakeContext({ "119": "talking-call" }, ["talking-call", "new-call"]);
    const { call, events } = fakeCall("new-call");
    assert.equal(await dialLeg(ctx, call, "119", "group", 10), false);
    assert.deepEqual(dialled, []);
    assert.deepEqual(
      events.map((e) => e.type === "legSkipped" && e.result),
      ["busy"],
    );
    assert.equal(hash.get("119"), "talking-call");
  });
});
