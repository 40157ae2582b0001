import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { counterTarget, countInProm } from "../../../core/metrics/counterMapping.ts";
import { promRegistry } from "../../../core/metrics/promMetrics.ts";

describe("counterTarget: a /status counter name to its Prometheus series", () => {
  it("given the counters the code counts, then each goes to its metric with its label", () => {
    assert.deepEqual(counterTarget("calls.processed"), {
      metric: "callResults",
      labels: { result: "processed" },
    });
    assert.deepEqual(counterTarget("errors.QUERY_LIMIT_EXCEEDED"), {
      metric: "errors",
      labels: { code: "QUERY_LIMIT_EXCEEDED" },
    });
    assert.deepEqual(counterTarget("errors.ari.reconnect"), {
      metric: "errors",
      labels: { code: "ari.reconnect" },
    });
    assert.deepEqual(counterTarget("holds.INVALID_CREDENTIALS"), {
      metric: "holds",
      labels: { reason: "INVALID_CREDENTIALS" },
    });
    assert.deepEqual(counterTarget("holds.cleared"), { metric: "holdsCleared", labels: {} });
    assert.deepEqual(counterTarget("held.OVERLOAD_LIMIT"), {
      metric: "heldSends",
      labels: { reason: "OVERLOAD_LIMIT" },
    });
    assert.deepEqual(counterTarget("hooks.timeouts.beforeRegister"), {
      metric: "hookErrors",
      labels: { point: "beforeRegister", kind: "timeouts" },
    });
    assert.deepEqual(counterTarget("originate.failed.BUSY"), {
      metric: "originateFailures",
      labels: { reason: "BUSY" },
    });
    assert.deepEqual(counterTarget("events.ONEXTERNALCALLSTART"), {
      metric: "portalEvents",
      labels: { event: "ONEXTERNALCALLSTART" },
    });
    assert.deepEqual(counterTarget("crm.commands"), { metric: "portalCommands", labels: {} });
  });

  it("given names measured directly (requests by status, latency sums), then not counted again", () => {
    assert.equal(counterTarget("crm.requests"), undefined);
    assert.equal(counterTarget("latency.hangupToCrm.ms"), undefined);
  });

  it("given an unknown or malformed name, then the generic counter keeps it", () => {
    assert.deepEqual(counterTarget("something"), { metric: "other", labels: { name: "something" } });
    assert.deepEqual(counterTarget("errors."), { metric: "other", labels: { name: "errors." } });
    assert.deepEqual(counterTarget("hooks.errors"), { metric: "other", labels: { name: "hooks.errors" } });
  });

  it("when counted, then the registry's text has the series with the added amount", async () => {
    promRegistry.resetMetrics();
    countInProm("errors.NETWORK", 2);
    countInProm("errors.NETWORK");
    countInProm("holds.cleared");
    countInProm("crm.requests", 5);
    countInProm("errors.NETWORK", 0); // nothing, and no throw
    const text = await promRegistry.metrics();
    assert.match(text, /^itgrix_errors_total\{code="NETWORK"\} 3$/m);
    assert.match(text, /^itgrix_delivery_holds_cleared_total 1$/m);
    assert.doesNotMatch(text, /crm\.requests/);
  });
});
