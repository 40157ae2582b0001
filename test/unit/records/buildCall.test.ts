/**
 * The rebuild from CEL on calls captured from the real Asterisk (test/fixtures/cel/, written by the
 * records integration tests): for calls the app handled, the rebuilt model gives the same decisions,
 * legs, conversations and transfers as the app's live model of the same call; for calls made while
 * the app was down (the dialplan's fallback Dial), the rebuilt model is checked against what happened.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import type { CallState } from "../../../core/calls/types.ts";
import { rebuildCall, type RebuildOptions } from "../../../core/records/buildCall.ts";
import type { CallRecords } from "../../../core/records/callRecords.ts";
import { differences, summarise, type CallSummary } from "../../support/callComparison.ts";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "../../fixtures/cel");

interface Fixture {
  scenario: string;
  live?: CallState;
  records: CallRecords;
}

function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(join(DIR, `${name}.json`), "utf8")) as Fixture;
}

const OPTIONS: RebuildOptions = {
  app: "itgrix",
  operators: new Set([...Array.from({ length: 20 }, (_, i) => String(101 + i)), "301", "302", "303"]),
  internalPattern: /^\d{2,5}$/,
  outboundLine: "trunk",
  recordingFormat: "wav",
};

const names = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.slice(0, -5))
  .sort();

describe("rebuilt from CEL = the app's live model (captured calls)", () => {
  const live = names.filter((n) => fixture(n).live);
  test("the fixtures cover every kind of call", () => {
    for (const kind of [
      "ringall",
      "sequential",
      "ivr-extension-answers",
      "ivr-extension-misses",
      "blind-transfer",
      "transfer-to-support",
      "attended-transfer",
      "outbound-answered",
      "outbound-busy",
      "outbound-no-answer",
      "outbound-operator-gives-up",
      "internal",
      "caller-hangs-up",
      "nobody-answers",
      "operator-hangs-up",
    ]) {
      // prettier-ignore
      assert.ok(live.some((n) => n.startsWith(kind)), `a captured ${kind} call`);
    }
  });
  for (const name of live) {
    test(name, () => {
      const { live: state, records } = fixture(name);
      const rebuilt = rebuildCall(records, OPTIONS);
      assert.ok(rebuilt);
      assert.equal(rebuilt.complete, true);
      assert.equal(rebuilt.enteredStasis, true);
      assert.equal(rebuilt.state.callId, state!.callId);
      assert.equal(rebuilt.state.phase, "ended");
      assert.deepEqual(differences(summarise(state!), summarise(rebuilt.state)), []);
    });
  }
});

describe("calls the app never saw (the dialplan's fallback Dial while it was down)", () => {
  const expectations: Record<string, Partial<CallSummary>> = {
    "fallback-answered": {
      direction: "inbound",
      lineNumber: "4951600003",
      status: "200",
      responsible: 2,
      talkSec: 3,
      clientResult: "answered",
      hangupBy: "client",
      legs: ["101 group answered", "102 group answeredElsewhere"],
      conversations: ["101"],
      recordingFile: null,
    },
    "fallback-caller-hangs-up": {
      direction: "inbound",
      status: "304",
      responsible: 3,
      talkSec: 0,
      clientResult: "cancelled",
      hangupBy: "client",
      legs: ["101 group cancelled", "102 group cancelled"],
      conversations: [],
    },
    "fallback-internal": {
      direction: "internal",
      clientNumber: "113",
      lineNumber: "114",
      originExtension: "113",
      status: "200",
      responsible: 15,
      talkSec: 2,
      legs: ["114 direct answered"],
      conversations: ["114"],
    },
    "fallback-outbound": {
      direction: "outbound",
      clientNumber: "84951600301",
      lineNumber: "trunk",
      originExtension: "112",
      status: "200",
      responsible: 13,
      talkSec: 2,
      clientResult: "answered",
      hangupBy: "operator",
      legs: ["112 direct answered"],
      conversations: ["112"],
    },
  };
  test("every fallback fixture has its expectations", () => {
    assert.deepEqual(
      names.filter((n) => n.startsWith("fallback-")),
      Object.keys(expectations).sort(),
    );
  });
  for (const [name, expected] of Object.entries(expectations)) {
    test(name, () => {
      const rebuilt = rebuildCall(fixture(name).records, OPTIONS);
      assert.ok(rebuilt);
      assert.equal(rebuilt.complete, true);
      assert.equal(rebuilt.enteredStasis, false, "Stasis failed, the dialplan dialled");
      const summary = summarise(rebuilt.state);
      const actual = Object.fromEntries(
        Object.keys(expected).map((k) => [k, summary[k as keyof CallSummary]]),
      );
      assert.deepEqual(actual, expected);
    });
  }
});
