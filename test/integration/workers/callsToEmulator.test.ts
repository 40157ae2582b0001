import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createLogger } from "../../../core/logging/logger.ts";
import { startCallWorker, type CallWorker } from "../../../workers/calls/callWorker.ts";
import { Timeline } from "../../unit/workers/callBuilder.ts";
import { Harness, waitFor } from "./workerHarness.ts";

/**
 * Lifecycle jobs → the real worker stack (reconciler, directory, delivery pipeline) → the Bitrix24
 * emulator, with a real Redis. Each test asserts what the emulator holds.
 */
describe("call workers against the emulator", () => {
  const h = new Harness();
  let worker: CallWorker;
  let seq = 0;
  const newCallId = (): string => `1741000${String(++seq).padStart(3, "0")}.${seq}`;

  before(async () => {
    await h.start();
    worker = await startCallWorker(h.config, createLogger("test", "silent"));
  });
  after(async () => {
    await worker?.close();
    await h.stop();
  });

  it("given a ring-all answered by 102 and recorded, then one call, cards shown to all and hidden from the losers, finish and the recording", async () => {
    const callId = newCallId();
    const t = new Timeline(callId).dial(1, "101", "102", "103");
    await h.publish(t.state(), "operatorRinging");
    const [registered] = await waitFor("the cards", async () => {
      const calls = await h.callsFor(callId);
      return calls[0]?.cardShownTo.length === 3 && calls;
    });
    assert.equal(registered!.USER_ID, 2);

    t.answer(5, "102").endLeg(5, "101", "answeredElsewhere").endLeg(5, "103", "answeredElsewhere");
    await h.publish(t.state(), "answered");
    await waitFor("the losers' hide", async () => {
      const [call] = await h.callsFor(callId);
      return call?.cardShownTo.length === 1 && call;
    });

    await mkdir(join(h.spoolDir, "itgrix"), { recursive: true });
    await writeFile(join(h.spoolDir, "itgrix", `${callId}.wav`), Buffer.alloc(4096, 1));
    t.recording(5, `itgrix/${callId}.wav`).end(47);
    await h.publish(t.state(), "ended");
    await waitFor("delivery", () => h.isDelivered(callId));

    const calls = await h.callsFor(callId);
    assert.equal(calls.length, 1);
    const call = calls[0]!;
    assert.equal(call.state, "finished");
    assert.deepEqual(
      { user: call.finish?.USER_ID, duration: call.finish?.DURATION, status: call.finish?.STATUS_CODE },
      { user: 3, duration: 42, status: "200" },
    );
    const shows = call.cardLog.filter((e) => e.action === "show").map((e) => e.userId);
    const hides = call.cardLog.filter((e) => e.action === "hide").map((e) => e.userId);
    assert.deepEqual(shows.sort(), [2, 3, 4]);
    assert.ok(hides.includes(2) && hides.includes(4), `losers hidden: ${JSON.stringify(call.cardLog)}`);
    assert.deepEqual(call.cardShownTo, []);
    assert.equal(call.records.length, 1);
    assert.equal(call.records[0]!.fileName, `${callId}.wav`);
    const journal = await h.journal(callId);
    assert.equal(journal?.bxCallId, call.CALL_ID);
    assert.ok(journal?.record?.doneAt);
  });

  it("given a missed call whose only job arrives after it ended, then register and finish travel in one batch with no card", async () => {
    const callId = newCallId();
    const t = new Timeline(callId).dial(1, "104", "105").end(20);
    const since = (await h.emulatorState()).now;
    await h.publish(t.state(), "ended");
    await waitFor("delivery", () => h.isDelivered(callId));
    const calls = await h.callsFor(callId);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.cardLog, []);
    assert.deepEqual(
      { user: calls[0]!.finish?.USER_ID, status: calls[0]!.finish?.STATUS_CODE },
      { user: 6, status: "304" },
    );
    // the emulator logs method names only; this test runs alone, so every request since `since` is its own
    const requests = (await h.emulatorState()).requests.filter((r) => r.at >= since);
    const withRegister = requests.find((r) => r.commands?.includes("telephony.externalcall.register"));
    assert.ok(withRegister, "a batch with the register");
    assert.ok(withRegister.commands!.includes("telephony.externalcall.finish"), "finish in the same batch");
    assert.ok(!requests.some((r) => r.commands?.some((c) => /show|hide/.test(c))), "no card command");
  });

  it("given duplicate and out-of-order jobs, then nothing is registered or finished twice and no card reappears", async () => {
    const callId = newCallId();
    const t = new Timeline(callId).dial(1, "106");
    const ringing = t.state();
    t.answer(3, "106").end(13);
    const ended = t.state();
    await h.publish(ended, "ended");
    await waitFor("delivery", () => h.isDelivered(callId));
    // the late and repeated jobs: an old version, the same version under other ids
    await h.publish(ended, "ended", `${callId.replace(".", "_")}-dup1`);
    await h.queue.add("operatorRinging", {
      callId,
      version: ringing.version,
      kind: "operatorRinging",
      at: "x",
    });
    await h.queue.add("ended", { callId, version: ended.version, kind: "ended", at: "x" });
    await new Promise((r) => setTimeout(r, 800));
    const calls = await h.callsFor(callId);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.cardLog, []);
    assert.equal(calls[0]!.finish?.USER_ID, 7);
  });

  it("given an internal call, then nothing reaches the CRM and the journal says skipped", async () => {
    const callId = newCallId();
    const t = new Timeline(callId, "internal", "101").dial(1, "102").answer(2, "102").end(9);
    await h.publish(t.state(), "ended");
    const journal = await waitFor(
      "skip",
      async () => (await h.journal(callId))?.skipped && h.journal(callId),
    );
    assert.match(journal!.skipped!.reason, /internal/);
    assert.deepEqual(await h.callsFor(callId), []);
  });

  it("given a call the portal refuses (inactive default user), then it is failed with the portal's reason", async () => {
    const callId = newCallId();
    const t = new Timeline(callId).ivr(1, "5").end(8);
    h.config.crm.defaultUserId = 999; // the worker shares this config object
    try {
      await h.publish(t.state(), "ended");
      const journal = await waitFor(
        "failure",
        async () => (await h.journal(callId))?.failed && h.journal(callId),
      );
      assert.equal(journal!.failed!.step, "register");
      assert.match(journal!.failed!.reason, /not found|not active/i);
      assert.notEqual(await h.redis.zscore(h.keys.failedCalls, callId), null);
    } finally {
      delete h.config.crm.defaultUserId;
    }
  });
});
