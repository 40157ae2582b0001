import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  dialableNumberProblem,
  legAwaitingClient,
  trunkEndpoint,
  trunkOriginate,
} from "../../../app/clientLeg/trunkOriginate.ts";
import type { LegControl } from "../../../app/calls/control.ts";

const leg = (purpose: LegControl["purpose"], state: LegControl["state"]): LegControl => ({
  extension: "101",
  purpose,
  state,
});

describe("dialling the client through the trunk (pure part)", () => {
  test("given the trunk dial string, then the number goes where {number} stands", () => {
    assert.equal(trunkEndpoint("PJSIP/{number}@trunk", "+74951234567"), "PJSIP/+74951234567@trunk");
    assert.equal(trunkEndpoint("SIP/gw/{number}", "8495"), "SIP/gw/8495");
  });

  test("given a number, then only digits, * and # with an optional leading + are dialable", () => {
    for (const ok of ["+74951234567", "101", "*21#", "#9"])
      assert.equal(dialableNumberProblem(ok), undefined, ok);
    for (const bad of ["", "+", "7495 123", "anonymous", "74951;x", "++7"]) {
      assert.equal(dialableNumberProblem(bad), "not a dialable number", bad);
    }
  });

  test("given the dial, then the connector's own originate: endpoint, caller id, ring time, no variables", () => {
    assert.deepEqual(
      trunkOriginate({
        dialString: "PJSIP/{number}@trunk",
        number: "+7495",
        callerId: "117",
        timeoutSec: 30,
      }),
      { endpoint: "PJSIP/+7495@trunk", callerId: "117", timeoutSec: 30, variables: {} },
    );
  });

  test("given an outbound call, then only the placing user's answered own phone waits for the client", () => {
    const outbound = (legs: Record<string, LegControl>) => legAwaitingClient({ direction: "outbound", legs });
    assert.equal(outbound({ a: leg("direct", "up") }), "a");
    assert.equal(outbound({ a: leg("direct", "ringing") }), undefined);
    assert.equal(outbound({ a: leg("direct", "ended") }), undefined);
    assert.equal(outbound({ t: leg("transfer", "up"), a: leg("direct", "up") }), "a");
    assert.equal(outbound({ t: leg("transfer", "up") }), undefined);
  });

  test("given a callback, then the operator who took it waits for the client", () => {
    const callback = (legs: Record<string, LegControl>) => legAwaitingClient({ direction: "callback", legs });
    assert.equal(callback({ a: leg("group", "ended"), b: leg("group", "up") }), "b");
    assert.equal(callback({ a: leg("group", "ringing") }), undefined);
    assert.equal(callback({}), undefined);
  });
});
