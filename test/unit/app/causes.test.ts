import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { clientResultFromCause, legResultFromCause } from "../../../app/calls/causes.ts";

describe("hangup cause mapping", () => {
  test("operator legs", () => {
    const table: [number | undefined, string][] = [
      [17, "busy"],
      [19, "noanswer"],
      [18, "noanswer"],
      [21, "rejected"],
      [20, "unregistered"],
      [3, "unregistered"],
      [26, "answeredElsewhere"],
      [16, "cancelled"],
      [34, "failed"],
      [undefined, "failed"],
    ];
    for (const [cause, result] of table) assert.equal(legResultFromCause(cause), result, `cause ${cause}`);
  });

  test("the client side of an outbound call", () => {
    const table: [number | undefined, string][] = [
      [17, "busy"],
      [21, "busy"],
      [19, "noanswer"],
      [18, "noanswer"],
      [20, "unavailable"],
      [27, "unavailable"],
      [38, "unavailable"],
      [41, "unavailable"],
      [34, "congestion"],
      [42, "congestion"],
      [1, "badNumber"],
      [28, "badNumber"],
      [58, "failed"],
    ];
    for (const [cause, result] of table) assert.equal(clientResultFromCause(cause), result, `cause ${cause}`);
  });

  test("the operator hanging up first is a cancelled call, whatever the cause", () => {
    assert.equal(clientResultFromCause(16, true), "cancelled");
    assert.equal(clientResultFromCause(17, true), "cancelled");
  });
});
