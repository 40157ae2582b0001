/**
 * The rebuild from Asterisk's records agrees with the live app: live calls of every kind go through
 * the app on the real Asterisk (sipp phones, a real soft-phone for the attended transfer) while
 * Asterisk writes CEL and CDR into the testbed's PostgreSQL; each call is then rebuilt from its CEL
 * rows and the two call models must give the same CRM decisions (responsible user, status, direction,
 * numbers, talk time ±1 s) and the same legs, conversations, transfers, IVR input and recording.
 *
 * ITGRIX_CEL_FIXTURES=<dir> also writes each pair (live state + Asterisk's rows) to <dir>/<name>.json:
 * that is how test/fixtures/cel/ was captured for the unit tests.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { CallState } from "../../../core/calls/types.ts";
import { rebuildCall } from "../../../core/records/buildCall.ts";
import type { CallRecords } from "../../../core/records/callRecords.ts";
import { rebuildOptionsFor } from "../../../core/records/rebuildOptions.ts";
import { openRecordsPool, type RecordsPool } from "../../../core/records/recordsDb.ts";
import { RecordsReader } from "../../../core/records/recordsReader.ts";
import { differences, summarise } from "../../support/callComparison.ts";
import { startStack, type Stack } from "../../support/stack.ts";
import { ATTENDED, INBOUND_WAVE, OUTBOUND, SECOND_WAVE, STACK_OPTIONS, type Scenario } from "./scenarios.ts";

const FIXTURES = process.env.ITGRIX_CEL_FIXTURES;

describe("live calls rebuilt from Asterisk's CEL", () => {
  let stack: Stack;
  let pool: RecordsPool;
  let reader: RecordsReader;
  before(async () => {
    stack = await startStack(STACK_OPTIONS);
    pool = openRecordsPool({
      url: stack.testbed.postgres.url,
      connectTimeoutMs: 5000,
      queryTimeoutMs: 10_000,
    });
    reader = new RecordsReader(pool, { celTable: "cel", cdrTable: "cdr", timeZone: "UTC" });
  });
  after(async () => {
    await pool?.end();
    await stack?.stop();
  });

  async function liveVsRebuilt(scenario: Scenario): Promise<void> {
    await scenario.run(stack);
    const live = await endedLiveCall(stack, scenario);
    const records = await completeRecords(reader, live.callId);
    if (FIXTURES) saveFixture(scenario.name, live, records);
    const rebuilt = rebuildCall(records, rebuildOptionsFor(stack.config));
    assert.ok(rebuilt, "rebuilt from CEL");
    assert.equal(rebuilt.complete, true, "LINKEDID_END seen");
    assert.equal(rebuilt.enteredStasis, true, "handled by the app");
    assert.equal(rebuilt.state.callId, live.callId);
    const [a, b] = [summarise(live), summarise(rebuilt.state)];
    assert.deepEqual(differences(a, b), [], `live ${JSON.stringify(a)}\nrebuilt ${JSON.stringify(b)}`);
  }

  describe("inbound: ring-all, sequential, IVR, blind transfers", { concurrency: true }, () => {
    for (const s of INBOUND_WAVE) test(s.name, () => liveVsRebuilt(s));
  });
  describe("inbound misses, hang-ups and an internal call", { concurrency: true }, () => {
    for (const s of SECOND_WAVE) test(s.name, () => liveVsRebuilt(s));
  });
  describe("outbound through the trunk", () => {
    for (const s of OUTBOUND) test(s.name, () => liveVsRebuilt(s));
  });
  describe("attended transfer by a soft-phone", () => {
    test(ATTENDED.name, () => liveVsRebuilt(ATTENDED));
  });
});

/** The app's state of the scenario's call once it has ended (and its recording, if any, settled). */
async function endedLiveCall(stack: Stack, scenario: Scenario): Promise<CallState> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const call = (await stack.appCalls()).find(scenario.isCall);
    if (call?.phase === "ended" && call.recording?.state !== "recording") return call;
    if (Date.now() > deadline)
      throw new Error(`${scenario.name}: no ended call in the app: ${JSON.stringify(call)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Asterisk's rows of the call once it wrote LINKEDID_END (and the CDR, written at the end). */
async function completeRecords(reader: RecordsReader, callId: string): Promise<CallRecords> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const records = await reader.callRecords(callId);
    const ended = records.cel.some((r) => r.eventType === "LINKEDID_END");
    // LINKEDID_END may be written a moment before the last channel's own HANGUP/CHAN_END rows.
    if (ended && records.cdr.length > 0) {
      await new Promise((r) => setTimeout(r, 300));
      return reader.callRecords(callId);
    }
    if (Date.now() > deadline) throw new Error(`call ${callId}: no LINKEDID_END in CEL after 10 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function saveFixture(name: string, live: CallState, records: CallRecords): void {
  mkdirSync(FIXTURES!, { recursive: true });
  writeFileSync(
    join(FIXTURES!, `${name}.json`),
    JSON.stringify({ scenario: name, live, records }, null, 2) + "\n",
  );
}
