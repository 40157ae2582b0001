import { test } from "node:test";
import assert from "node:assert/strict";
import { mergeRetryResults, planLimitedRetry } from "../../../workers/delivery/limitedRetry.ts";
import type { CommandGroup, CommandResult } from "../../../workers/delivery/types.ts";

const group: CommandGroup = {
  callId: "c1",
  lane: "bulk",
  commands: [
    { method: "telephony.externalcall.register", params: { USER_ID: 2 } },
    {
      method: "telephony.externalcall.finish",
      params: { CALL_ID: { $ref: 0, path: ["CALL_ID"] }, USER_ID: 2 },
    },
    { method: "im.notify", params: { MESSAGE: { $ref: 1, path: ["ID"] } } },
  ],
};
const limited = (code = "OPERATION_TIME_LIMIT"): CommandResult => ({
  ok: false,
  error: { code, description: "blocked", retryable: true },
});
const depFailed: CommandResult = {
  ok: false,
  error: { code: "DEPENDENCY_FAILED", description: "", retryable: false },
};

test("given no limit errors, then nothing is re-sent", () => {
  assert.equal(
    planLimitedRetry(group, [
      { ok: true, result: {} },
      { ok: true, result: {} },
      { ok: true, result: 1 },
    ]),
    undefined,
  );
  const core: CommandResult = { ok: false, error: { code: "ERROR_CORE", description: "", retryable: false } };
  assert.equal(planLimitedRetry(group, [core, depFailed, depFailed]), undefined);
});

test("given finish refused by 429 after a register that ran, then finish is re-sent with the CALL_ID value", () => {
  const results: CommandResult[] = [
    { ok: true, result: { CALL_ID: "externalCall.abc" } },
    limited(),
    depFailed,
  ];
  const plan = planLimitedRetry(group, results)!;
  assert.deepEqual(plan.indexes, [1, 2]);
  assert.deepEqual(plan.group.commands[0]!.params, { CALL_ID: "externalCall.abc", USER_ID: 2 });
  assert.deepEqual(plan.group.commands[1]!.params, { MESSAGE: { $ref: 0, path: ["ID"] } });
  const merged = mergeRetryResults(results, plan, [
    { ok: true, result: { ID: 7 } },
    { ok: true, result: 99 },
  ]);
  assert.deepEqual(merged, [
    { ok: true, result: { CALL_ID: "externalCall.abc" } },
    { ok: true, result: { ID: 7 } },
    { ok: true, result: 99 },
  ]);
});

test("given the whole group refused by a rate limit, then the whole group is re-sent unchanged", () => {
  const plan = planLimitedRetry(group, [limited("QUERY_LIMIT_EXCEEDED"), depFailed, depFailed])!;
  assert.deepEqual(plan.indexes, [0, 1, 2]);
  assert.deepEqual(plan.group.commands, group.commands);
});
