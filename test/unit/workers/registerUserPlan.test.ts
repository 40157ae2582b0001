/**
 * The planner registers a live call as soon as registerUser names someone: with crm.defaultUserId set,
 * a call in the IVR must wait for a CRM user to ring instead of being registered to the default user,
 * and only a call that ended without any CRM user is registered (and finished) for the default user.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { emptyJournal } from "../../../workers/calls/journal.ts";
import { planSteps } from "../../../workers/calls/planSteps.ts";
import { METHOD } from "../../../workers/calls/commands.ts";
import { Timeline, at, config, directory } from "./callBuilder.ts";

const CALL = "1741000000.42";
const withDefault = config({ crm: { defaultUserId: 1 } });

function inIvr(): Timeline {
  const t = new Timeline();
  t.events.push({ type: "clientAnswered", at: at(0.5) });
  return t;
}

function registerParams(plan: Awaited<ReturnType<typeof planSteps>>) {
  const groups = plan.kind === "send" ? plan.groups : [];
  const register = groups.flatMap((g) => g.commands).find((c) => c.method === METHOD.register);
  assert.ok(register, `a register in ${JSON.stringify(plan)}`);
  return register.params;
}

describe("planSteps and the register user", async () => {
  it("a caller in the IVR, nobody rung yet: nothing is sent, the worker waits for an operator", async () => {
    const plan = await planSteps(inIvr().state(), emptyJournal(CALL), directory, withDefault);
    assert.deepEqual(plan, { kind: "wait", for: "operator" });
  });

  it("the caller chose 105 and it rings: register for 105's user (6), not the default user", async () => {
    const chosen = inIvr().ivr(4, "105").dial(4, "105").state();
    assert.equal(
      registerParams(await planSteps(chosen, emptyJournal(CALL), directory, withDefault)).USER_ID,
      6,
    );
  });

  it("Support (301, not in the CRM) rings first, then 102: register for 102's user only once 102 rings", async () => {
    const supportOnly = new Timeline().dial(1, "301");
    assert.deepEqual(await planSteps(supportOnly.state(), emptyJournal(CALL), directory, withDefault), {
      kind: "wait",
      for: "operator",
    });
    const crmToo = supportOnly.dial(20, "102").state();
    assert.equal(
      registerParams(await planSteps(crmToo, emptyJournal(CALL), directory, withDefault)).USER_ID,
      3,
    );
  });

  it("the caller hung up in the IVR: register and finish for the default user", async () => {
    const ended = inIvr().end(9).state();
    const plan = await planSteps(ended, emptyJournal(CALL), directory, withDefault);
    assert.equal(plan.kind, "send");
    assert.deepEqual(
      (plan.kind === "send" ? plan.groups : [])[0]!.commands.map((c) => [c.method, c.params.USER_ID]),
      [
        [METHOD.register, 1],
        [METHOD.finish, 1],
      ],
    );
  });
});
