import assert from "node:assert/strict";
import { test } from "node:test";
import { lifecycleKindOf } from "../../../app/calls/lifecycleKind.ts";
import { reconnectDelayMs } from "../../../app/ari/backoff.ts";
import { extensionOfChannel, isInternalNumber, outboundLine } from "../../../app/outbound/outbound.ts";

const at = "2026-01-01T00:00:00.000Z";

test("call events map to lifecycle job kinds", () => {
  assert.equal(lifecycleKindOf({ type: "legRinging", at, legId: "x" }), "operatorRinging");
  assert.equal(lifecycleKindOf({ type: "conversationStarted", at, legId: "x" }), "answered");
  assert.equal(lifecycleKindOf({ type: "callEnded", at }), "ended");
  assert.equal(
    lifecycleKindOf({ type: "recordingFinished", at, name: "n", file: "n.wav" }),
    "recordingReady",
  );
  assert.equal(lifecycleKindOf({ type: "ivrMissed", at, extension: "101" }), "ivrMissed");
  assert.equal(
    lifecycleKindOf({ type: "transferred", at, kind: "blind", fromExtension: "1", toExtension: "2" }),
    "transfer",
  );
  assert.equal(lifecycleKindOf({ type: "legEnded", at, legId: "x" }), "changed");
});

test("reconnect backoff grows exponentially and is capped", () => {
  const mid = () => 0.5;
  assert.equal(reconnectDelayMs(0, 10_000, mid), 500);
  assert.equal(reconnectDelayMs(2, 10_000, mid), 2000);
  assert.equal(reconnectDelayMs(50, 10_000, mid), 10_000);
  assert.ok(reconnectDelayMs(50, 10_000, () => 1) <= 12_000);
});

test("outbound helpers", () => {
  assert.equal(extensionOfChannel({ name: "PJSIP/101-0000002a", caller: { name: "", number: "x" } }), "101");
  assert.equal(extensionOfChannel({ name: "weird", caller: { name: "", number: "102" } }), "102");
  assert.equal(outboundLine("PJSIP/{number}@trunk"), "trunk");
  assert.equal(isInternalNumber("102", "^\\d{2,5}$", new Set(["102"])), true);
  assert.equal(isInternalNumber("84951234567", "^\\d{2,5}$", new Set(["102"])), false);
  assert.equal(isInternalNumber("999", "^\\d{2,5}$", new Set(["102"])), false);
});
