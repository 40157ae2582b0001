import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AriHttpError } from "../../../app/ari/rest.ts";
import type { AriEvent } from "../../../app/ari/types.ts";
import type { CallControl } from "../../../app/calls/control.ts";
import type { CallContext } from "../../../app/calls/context.ts";
import { dispatchAriEvent } from "../../../app/flow/dispatcher.ts";
import { pendingBlindTransferCall, transferCallOf } from "../../../app/transfers/transferCall.ts";

const control = (callId: string, more: Partial<CallControl> = {}): CallControl => ({
  callId,
  direction: "inbound",
  clientChannelId: `client-${callId}`,
  clientAnswered: true,
  clientNumber: "74951234567",
  lineNumber: "4950000001",
  legs: {},
  aux: [],
  legSeq: 1,
  ...more,
});

const blindTo = (extension: string) => ({ extension, fromExtension: "147", kind: "blind" as const });

interface Logged {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

/** A context with just what finding a transfer's call touches; every ARI call is recorded. */
function fakeContext(o: { getVariable: () => Promise<string | undefined>; calls?: CallControl[] }) {
  const logged: Logged[] = [];
  const ari: string[] = [];
  const log = (level: string) => (fields: Record<string, unknown>, msg: string) =>
    logged.push({ level, fields, msg });
  const sessions = (o.calls ?? []).map((ctl) => ({ callId: ctl.callId, ctl }));
  const byId = (id: string) => sessions.find((s) => s.callId === id);
  const ctx = {
    logger: { info: log("info"), warn: log("warn"), error: log("error"), debug: log("debug") },
    rest: {
      getVariable: o.getVariable,
      hangup: async (id: string) => void ari.push(`hangup ${id}`),
      setVariable: async (id: string, name: string, value: string) =>
        void ari.push(`set ${id} ${name}=${value}`),
      continueInDialplan: async (id: string) => void ari.push(`continue ${id}`),
    },
    sessions: { get: byId, find: async (id: string) => byId(id), list: () => sessions },
    server: { callIdOf: (linkedId: string) => linkedId },
    serial: { run: async (_id: string, fn: () => Promise<void>) => fn() },
  } as unknown as CallContext;
  return { ctx, logged, ari };
}

const failing = (status: number) => async (): Promise<string | undefined> => {
  throw new AriHttpError(status, "GET", "/channels/local2/variable", `${status}`);
};
const noSleep = async () => undefined;
const local2 = { id: "local2", name: "Local/149@itgrix-transfer-0001;2", state: "Ring" } as never;

describe("blind transfer: which call the Local ;2 half belongs to", () => {
  test("given one live call transferring blind to 149, it is the match; a call transferring elsewhere is not", () => {
    const calls = [
      control("c1", { transferTo: blindTo("149") }),
      control("c2", { transferTo: blindTo("150") }),
    ];
    assert.deepEqual(pendingBlindTransferCall(calls, "149"), { callId: "c1", by: "pendingTransfer" });
  });

  test("ended/ending calls and attended transfers do not match; two candidates are ambiguous", () => {
    const ending = { clientResult: "answered", hangupBy: "client" } as CallControl["ending"];
    const calls = [
      control("ended", { transferTo: blindTo("149"), ended: true }),
      control("ending", { transferTo: blindTo("149"), ending }),
      control("att", { transferTo: { ...blindTo("149"), kind: "attended" } }),
    ];
    assert.deepEqual(pendingBlindTransferCall(calls, "149"), { by: "none" });
    const two = [control("a", { transferTo: blindTo("149") }), control("b", { transferTo: blindTo("149") })];
    assert.deepEqual(pendingBlindTransferCall(two, "149"), { by: "ambiguous", candidates: ["a", "b"] });
  });

  test("when the linkedid read fails twice then answers, the call is found by its linkedid, each failure logged", async () => {
    let reads = 0;
    const { ctx, logged } = fakeContext({
      calls: [control("c1")],
      getVariable: async () => {
        if (++reads <= 2) throw new Error("fetch failed");
        return "c1";
      },
    });
    const match = await transferCallOf(ctx, local2, "149", [1, 1, 1], noSleep);
    assert.deepEqual(match, { callId: "c1", by: "linkedid" });
    const warns = logged.filter((l) => l.msg.includes("linkedid read failed"));
    assert.equal(warns.length, 2);
    assert.deepEqual(warns[0]!.fields.channelId, "local2");
    assert.deepEqual(warns[0]!.fields.exten, "149");
  });

  test("when the linkedid cannot be read at all, the call with the pending blind transfer to 149 is adopted", async () => {
    const { ctx } = fakeContext({
      calls: [control("c1", { transferTo: blindTo("149") })],
      getVariable: failing(500),
    });
    assert.deepEqual(await transferCallOf(ctx, local2, "149", [1], noSleep), {
      callId: "c1",
      by: "pendingTransfer",
    });
  });

  test("a channel already gone (404) is not retried", async () => {
    let reads = 0;
    const { ctx } = fakeContext({
      getVariable: async () => {
        reads++;
        throw new AriHttpError(404, "GET", "/x", "Channel not found");
      },
    });
    assert.deepEqual(await transferCallOf(ctx, local2, "149", [1, 1], noSleep), { by: "gone" });
    assert.equal(reads, 1);
  });
});

describe("blind transfer: StasisStart(transfer,149) of no known call", () => {
  test("the Local ;2 half is not hung up silently: an error names channel and exten, and the dialplan dials 149", async () => {
    const { ctx, logged, ari } = fakeContext({ getVariable: failing(500) });
    const e = { type: "StasisStart", args: ["transfer", "149"], channel: local2 } as unknown as AriEvent;
    dispatchAriEvent(ctx, e);
    // Retries wait about 1.5 s in all before the fallback.
    const deadline = Date.now() + 5000;
    while (!ari.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(ari, ["set local2 ITGRIX_HANDOFF=fallback", "continue local2"]);
    const error = logged.find((l) => l.level === "error");
    assert.ok(error, "an error line is logged");
    assert.equal(error.fields.channelId, "local2");
    assert.equal(error.fields.exten, "149");
  });
});
