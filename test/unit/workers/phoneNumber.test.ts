/**
 * PHONE_NUMBER on the planner's register commands: withheld callers are registered under the
 * placeholder, live (register + show) and after the end (register + finish), never refused.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { portalAcceptsPhoneNumber } from "../../../core/numbers/index.ts";
import { emptyJournal } from "../../../workers/calls/journal.ts";
import { clientPhoneNumber, clientPhoneNumberOf } from "../../../workers/calls/phoneNumber.ts";
import { planSteps } from "../../../workers/calls/planSteps.ts";
import { METHOD } from "../../../workers/calls/commands.ts";
import { Timeline, config, directory } from "./callBuilder.ts";

const CALL = "1741000000.42";
const from = (clientNumber: string, timeline = new Timeline().dial(1, "101")) => ({
  ...timeline.state(),
  clientNumber,
});

function registerPhone(plan: Awaited<ReturnType<typeof planSteps>>): unknown {
  const groups = plan.kind === "send" ? plan.groups : [];
  const register = groups.flatMap((g) => g.commands).find((c) => c.method === METHOD.register);
  assert.ok(register, `a register in ${JSON.stringify(plan)}`);
  return register.params.PHONE_NUMBER;
}

describe("clientPhoneNumber", async () => {
  it("a withheld caller while ringing: register goes out with the placeholder", async () => {
    const plan = await planSteps(from("anonymous"), emptyJournal(CALL), directory, config());
    assert.equal(registerPhone(plan), "0000000000");
  });

  it("an empty caller id after the end: register + finish with the placeholder", async () => {
    const ended = from("", new Timeline().dial(1, "101").answer(3, "101").end(10));
    const plan = await planSteps(ended, emptyJournal(CALL), directory, config());
    assert.equal(registerPhone(plan), "0000000000");
    assert.equal(plan.kind, "send");
    assert.deepEqual(
      (plan.kind === "send" ? plan.groups : [])[0]!.commands.map((c) => c.method),
      [METHOD.register, METHOD.finish],
    );
  });

  it("uses numbers.withheldNumber", async () => {
    const call = from("Restricted");
    assert.equal(
      clientPhoneNumber(call, config({ numbers: { withheldNumber: "+70000000000" } })),
      "+70000000000",
    );
  });

  it("a non-ASCII caller id is read as digits", async () => {
    assert.equal(clientPhoneNumber(from("٨٤٩٥١٢٣٤٥٦٧"), config()), "+74951234567");
  });

  it("a number the portal refused for this call gives the placeholder, and says why", async () => {
    const call = from("84951234567");
    assert.equal(clientPhoneNumber(call, config()), "+74951234567");
    assert.deepEqual(clientPhoneNumberOf(call, config(), "+74951234567"), {
      number: "0000000000",
      kind: "refused",
    });
  });

  it("every spelling of a withheld number gives a number the portal accepts", async () => {
    for (const raw of [
      "anonymous",
      "Anonymous",
      "unknown",
      "unavailable",
      "private",
      "withheld",
      "",
      "s",
      "+",
    ]) {
      const number = clientPhoneNumber(from(raw), config());
      assert.ok(portalAcceptsPhoneNumber(number), `${raw} → ${number}`);
    }
  });
});

describe("the planner after a refused PHONE_NUMBER", async () => {
  it("registers the call under the placeholder", async () => {
    const journal = { ...emptyJournal(CALL), register: { refusedNumber: "+74951234567" } };
    assert.equal(
      registerPhone(await planSteps(from("84951234567"), journal, directory, config())),
      "0000000000",
    );
  });
});
