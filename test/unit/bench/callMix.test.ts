import assert from "node:assert/strict";
import { test } from "node:test";
import { foldCallEvents } from "../../../core/calls/reducer.ts";
import {
  generateCalls,
  OPERATORS,
  SCENARIO_WEIGHTS,
  SUPPORT,
  type ScenarioName,
} from "../../../bench/callMix.ts";
import { directoryOf, expectedCrm } from "../../../bench/expectations.ts";

const FIRST = Date.parse("2025-11-24T09:00:00.000Z");
const options = { count: 300, seed: 7, firstCallAtMs: FIRST, recordingShare: 0.2 };
/** Extensions 101..120 are users 2..21, as in the emulator's seed; Support is not. */
const directory = directoryOf(OPERATORS.map((ext, i) => ({ ID: i + 2, UF_PHONE_INNER: ext })));

test("given the same seed, when generating twice, then the calls are identical", () => {
  assert.deepEqual(generateCalls(options), generateCalls(options));
});

test("given another seed, when generating, then the mix differs", () => {
  const a = generateCalls(options).map((c) => c.scenario);
  const b = generateCalls({ ...options, seed: 8 }).map((c) => c.scenario);
  assert.notDeepEqual(a, b);
});

test("given N calls, then call ids are unique linkedid-like ids and every state is ended in the past", () => {
  const calls = generateCalls(options);
  assert.equal(calls.length, 300);
  assert.equal(new Set(calls.map((c) => c.callId)).size, 300);
  for (const call of calls) {
    assert.match(call.callId, /^1764000000\.\d+$/);
    assert.equal(call.state.phase, "ended");
    assert.equal(call.state.callId, call.callId);
    assert.ok(Date.parse(call.state.endedAt!) > Date.parse(call.state.startedAt));
    assert.ok(Date.parse(call.state.startedAt) >= FIRST);
    assert.deepEqual(call.state, foldCallEvents(call.events), "the state is the fold of the events");
    assert.equal(call.state.version, call.events.length);
  }
});

test("given the first calls, then each scenario appears once before the weighted picks", () => {
  const names = Object.keys(SCENARIO_WEIGHTS);
  const first = generateCalls({ ...options, count: names.length }).map((c) => c.scenario);
  assert.deepEqual(first, names);
});

test("given many calls, then the scenario shares follow the weights", () => {
  const calls = generateCalls({ ...options, count: 20_000 });
  const total = Object.values(SCENARIO_WEIGHTS).reduce((a, b) => a + b, 0);
  for (const [name, weight] of Object.entries(SCENARIO_WEIGHTS)) {
    const share = calls.filter((c) => c.scenario === (name as ScenarioName)).length / calls.length;
    assert.ok(
      Math.abs(share - weight / total) < 0.01,
      `${name}: ${share.toFixed(3)} vs ${(weight / total).toFixed(3)}`,
    );
  }
});

test("given a recording share, then about that share of talked calls has a finished wav recording", () => {
  const calls = generateCalls({ ...options, count: 5_000, recordingShare: 0.25 });
  const talked = calls.filter((c) => c.state.conversations.length > 0);
  const recorded = calls.filter((c) => c.recordingFile);
  assert.ok(
    recorded.every((c) => c.state.conversations.length > 0),
    "only talked calls are recorded",
  );
  assert.ok(Math.abs(recorded.length / talked.length - 0.25) < 0.03);
  for (const c of recorded) {
    assert.equal(c.state.recording?.state, "done");
    assert.equal(c.state.recording?.file, `itgrix/${c.callId}.wav`);
  }
  assert.equal(generateCalls({ ...options, recordingShare: 0 }).filter((c) => c.recordingFile).length, 0);
});

test("given the scenarios, then the expected CRM results are the ones each scenario stands for", () => {
  const calls = generateCalls({ ...options, count: 2_000 });
  const byScenario = (name: ScenarioName) =>
    calls.filter((c) => c.scenario === name).map((c) => ({ c, e: expectedCrm(c, directory) }));
  for (const { e } of byScenario("missed")) assert.deepEqual([e.statusCode, e.durationSec], ["304", 0]);
  for (const { e } of byScenario("callerAbandoned"))
    assert.deepEqual([e.statusCode, e.durationSec], ["304", 0]);
  for (const { e } of byScenario("outboundBusy")) assert.equal(e.statusCode, "486");
  for (const { e } of byScenario("outboundNoAnswer")) assert.equal(e.statusCode, "304");
  for (const { c, e } of byScenario("supportTransfer")) {
    const support = c.state.transfers[0]!.toExtension;
    assert.ok(SUPPORT.includes(support));
    const operator = c.state.transfers[0]!.fromExtension;
    assert.equal(
      e.userId,
      directory.userIdByExtension(operator),
      "the last CRM user who talked keeps the call",
    );
  }
  for (const { c, e } of byScenario("blindTransfer")) {
    assert.equal(e.userId, directory.userIdByExtension(c.state.transfers[0]!.toExtension));
  }
  for (const { c, e } of byScenario("busySkipped")) {
    assert.ok(c.state.legs.some((l) => l.skipped && l.result === "busy"));
    assert.equal(e.statusCode, "200");
  }
  for (const { e } of [...byScenario("ringAllAnswered"), ...byScenario("outboundAnswered")]) {
    assert.equal(e.statusCode, "200");
    assert.ok(e.durationSec >= 10);
  }
  assert.ok(
    calls.every((c) => expectedCrm(c, directory).userId !== undefined),
    "every call has a CRM user",
  );
});
