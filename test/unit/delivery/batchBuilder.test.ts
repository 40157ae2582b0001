import { test } from "node:test";
import assert from "node:assert/strict";
import {
  buildBatchCommands,
  groupResults,
  pickBatch,
  validateGroup,
  type QueuedGroup,
} from "../../../workers/delivery/batchBuilder.ts";
import type { BatchResponse } from "../../../workers/bitrix/client.ts";
import type { CommandGroup, Lane } from "../../../workers/delivery/types.ts";

function group(callId: string, n: number, lane: Lane = "bulk"): CommandGroup {
  return {
    callId,
    lane,
    commands: Array.from({ length: n }, (_, i) => ({ method: "m.x", params: { I: i } })),
  };
}

function queued(groups: CommandGroup[]): QueuedGroup[] {
  return groups.map((g, seq) => ({ seq, group: g }));
}

function response(partial: Partial<BatchResponse>): BatchResponse {
  return { result: {}, result_error: {}, result_total: {}, result_next: {}, result_time: {}, ...partial };
}

test("a group of 51 commands is refused, 50 is fine", () => {
  assert.match(validateGroup(group("a", 51), 50) ?? "", /51 commands/);
  assert.equal(validateGroup(group("a", 50), 50), undefined);
});

test("a $ref to the same or a later command is refused", () => {
  const g: CommandGroup = {
    callId: "a",
    lane: "bulk",
    commands: [{ method: "x", params: { CALL_ID: { $ref: 0, path: ["CALL_ID"] } } }],
  };
  assert.match(validateGroup(g, 50) ?? "", /refers to command 0/);
});

test("register + finish: the finish refers to the register as $result[key][CALL_ID]", () => {
  const g: CommandGroup = {
    callId: "1700000000.1",
    lane: "bulk",
    commands: [
      {
        method: "telephony.externalcall.register",
        params: { USER_ID: 2, PHONE_NUMBER: "+74951234567", TYPE: 2 },
      },
      {
        method: "telephony.externalcall.finish",
        params: { CALL_ID: { $ref: 0, path: ["CALL_ID"] }, USER_ID: 2 },
      },
    ],
  };
  const cmd = buildBatchCommands([{ seq: 7, group: g }]);
  assert.deepEqual(Object.keys(cmd), ["c7_0", "c7_1"]);
  assert.equal(cmd.c7_0, "telephony.externalcall.register?USER_ID=2&PHONE_NUMBER=%2B74951234567&TYPE=2");
  const finish = new URLSearchParams(cmd.c7_1!.split("?")[1]);
  assert.equal(finish.get("CALL_ID"), "$result[c7_0][CALL_ID]");
});

test("groups are packed whole, never split, up to 50 commands", () => {
  const q = queued([group("a", 30), group("b", 30), group("c", 20)]);
  const picked = pickBatch(q, new Set(), 50);
  assert.deepEqual(
    picked.map((p) => p.group.callId),
    ["a", "c"],
  );
});

test("keys are unique within a batch", () => {
  const q = queued([group("a", 25), group("b", 25)]);
  const cmd = buildBatchCommands(pickBatch(q, new Set(), 50));
  assert.equal(Object.keys(cmd).length, 50);
});

test("interactive groups go before bulk ones", () => {
  const q = queued([group("a", 10), group("b", 10), group("c", 2, "interactive")]);
  const picked = pickBatch(q, new Set(), 50);
  assert.deepEqual(
    picked.map((p) => p.group.callId),
    ["c", "a", "b"],
  );
  const tight = pickBatch(queued([group("a", 49), group("c", 2, "interactive")]), new Set(), 50);
  assert.deepEqual(
    tight.map((p) => p.group.callId),
    ["c"],
  );
});

test("per-call order: a later group waits for the earlier one of its call, even across lanes", () => {
  const q = queued([group("a", 2), group("a", 2, "interactive"), group("b", 1)]);
  const first = pickBatch(q, new Set(), 50);
  assert.deepEqual(
    first.map((p) => p.seq),
    [0, 2],
  );
  const blocked = pickBatch(q.slice(1), new Set(["a"]), 50); // a's first group is in flight
  assert.deepEqual(
    blocked.map((p) => p.seq),
    [2],
  );
  const tooBig = pickBatch(queued([group("a", 45), group("b", 10), group("a", 1)]), new Set(), 50);
  assert.deepEqual(
    tooBig.map((p) => p.seq),
    [0],
  );
});

test("a failed command fails only itself, and the commands that referred to it", () => {
  const g: CommandGroup = {
    callId: "x",
    lane: "bulk",
    commands: [
      { method: "telephony.externalcall.register", params: {} },
      { method: "telephony.externalcall.finish", params: { CALL_ID: { $ref: 0, path: ["CALL_ID"] } } },
      { method: "im.notify", params: {} },
    ],
  };
  const other: QueuedGroup = { seq: 2, group: group("y", 1) };
  const res = response({
    result: { c1_2: 55, c2_0: true },
    result_error: {
      c1_0: { error: "ERROR_CORE", error_description: "User is not found or is not active" },
      c1_1: { error: "ERROR_CORE", error_description: "Call is not found" },
    },
  });
  const results = groupResults({ seq: 1, group: g }, res);
  assert.equal(results[0]!.ok, false);
  assert.equal(!results[0]!.ok && results[0]!.error.code, "ERROR_CORE");
  assert.equal(!results[1]!.ok && results[1]!.error.code, "DEPENDENCY_FAILED");
  assert.deepEqual(results[2], { ok: true, result: 55 });
  assert.deepEqual(groupResults(other, res), [{ ok: true, result: true }]);
});

test("a dependent command with neither result nor error is DEPENDENCY_FAILED; an orphan is NO_RESULT", () => {
  const g: CommandGroup = {
    callId: "x",
    lane: "bulk",
    commands: [
      { method: "a", params: {} },
      { method: "b", params: { X: { $ref: 0, path: ["CALL_ID"] } } },
    ],
  };
  const res = response({ result_error: { c0_0: { error: "ERROR_CORE" } } });
  const r = groupResults({ seq: 0, group: g }, res);
  assert.equal(!r[1]!.ok && r[1]!.error.code, "DEPENDENCY_FAILED");
  const orphan = groupResults({ seq: 0, group: group("z", 1) }, response({}));
  assert.equal(!orphan[0]!.ok && orphan[0]!.error.code, "NO_RESULT");
});
