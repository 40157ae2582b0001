/**
 * Re-processing end to end (the app, a worker, the emulator's CRM, the real Asterisk writing CEL into
 * PostgreSQL): calls made while the app was DOWN go through the dialplan's fallback `Dial()` and never
 * reach the CRM — until `/pbx/read_call` rebuilds them from CEL; then they are in the CRM exactly
 * once, and re-processing them (or a live call) again changes nothing. Also a call still ringing, and
 * `npm run reprocess` against the running app.
 *
 * ITGRIX_CEL_FIXTURES=<dir> also writes the fallback calls' rows there (test/fixtures/cel/fallback-*).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import type { CallResult, RunRecord } from "../../../app/reprocessing/runStore.ts";
import { openRecordsPool, type RecordsPool } from "../../../core/records/recordsDb.ts";
import { RecordsReader } from "../../../core/records/recordsReader.ts";
import { placeCall, placeOperatorCall, startClient } from "../../support/sipp.ts";
import {
  crmCallsMatching,
  startStack,
  waitForCrmCall,
  waitForWorkerIdle,
  type Stack,
} from "../../support/stack.ts";
import { getTestbed } from "../../support/testbed.ts";
import { expectFinished, userOf } from "../e2e/expect.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const PASSWORD = "read-call-e2e-pw";
const AUTH = "Basic " + Buffer.from(`admin:${PASSWORD}`).toString("base64");
const DID = { live: "4951600001", ringing: "4951600002", fallback: "4951600003" };
const FIXTURES = process.env.ITGRIX_CEL_FIXTURES;
type Run = RunRecord & { calls: CallResult[] };

describe("re-processing calls from Asterisk's records, end to end", () => {
  let stack: Stack;
  let pool: RecordsPool;
  let reader: RecordsReader;
  let fallbackCallId = "";
  before(async () => {
    const tb = await getTestbed();
    stack = await startStack({
      cardMode: "ring",
      groups: {
        live: { strategy: "ringall", members: [103], groupTimeoutSec: 10 },
        ringing: { strategy: "ringall", members: [104], groupTimeoutSec: 20 },
      },
      dids: { [DID.live]: { group: "live" }, [DID.ringing]: { group: "ringing" } },
      config: {
        cdr: { url: tb.postgres.url },
        http: { adminPassword: PASSWORD },
        routing: { operators: ["101", "102", "103", "104", "112", "113", "114"] },
      },
    });
    pool = openRecordsPool({ url: tb.postgres.url, connectTimeoutMs: 5000, queryTimeoutMs: 10_000 });
    reader = new RecordsReader(pool, { celTable: "cel", cdrTable: "cdr", timeZone: "UTC" });
  });
  after(async () => {
    await pool?.end();
    await stack?.stop();
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${stack.httpPort}${path}`, {
      ...init,
      headers: { authorization: AUTH, "content-type": "application/json", ...(init.headers ?? {}) },
    });

  async function run(request: Promise<Response>): Promise<Run> {
    const res = await request;
    assert.equal(res.status, 202, await res.clone().text());
    const { run: id } = (await res.json()) as { run: string };
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = (await (await api(`/pbx/read_call/${id}`)).json()) as Run;
      if (r.state !== "queued" && r.state !== "running") return r;
      if (Date.now() > deadline) throw new Error(`run ${id} still ${r.state}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  /** Calls made while the app is stopped; returns the time window they started in. */
  async function whileAppDown(work: () => Promise<unknown>): Promise<{ from: string; to: string }> {
    await stack.stopApp();
    const from = new Date(Date.now() - 1000).toISOString();
    try {
      await work();
    } finally {
      await stack.startApp();
    }
    await new Promise((r) => setTimeout(r, 1000)); // CEL rows of the last hang-up
    return { from, to: new Date().toISOString() };
  }

  test("given a call answered while the app was down (fallback Dial), when its period is re-processed, then it is in the CRM once: 101's user, 200, the talk time", async () => {
    await stack.operator(101, { answerAfterMs: 1000 });
    await stack.operator(102, "noAnswer");
    const window = await whileAppDown(() =>
      placeCall({
        from: "74951600101",
        to: DID.fallback,
        talkMs: 3000,
        callerPort: 15075,
        expectAnswer: true,
      }),
    );
    assert.deepEqual(
      await crmCallsMatching(stack, "74951600101"),
      [],
      "nothing reached the CRM while the app was down",
    );
    const result = await run(api(`/pbx/read_call?start_date=${window.from}&end_date=${window.to}`));
    assert.equal(result.state, "done");
    assert.equal(result.calls.length, 1, JSON.stringify(result.calls));
    const [call] = result.calls;
    assert.equal(call?.outcome, "queued", JSON.stringify(call));
    assert.equal(call.summary?.enteredStasis, false, "the call never entered Stasis");
    assert.equal(call.summary?.answeredBy, "101");
    fallbackCallId = call.callId;
    await saveFixture("fallback-answered", fallbackCallId);
    const crm = await waitForCrmCall(stack, { phone: "74951600101" });
    expectFinished(crm, { type: 2, userId: userOf(101), status: "200", durationSec: 3 });
    assert.equal(crm.EXTERNAL_CALL_ID, fallbackCallId);
    assert.deepEqual(crm.cardLog, [], "registered and finished at once, no card for a past call");
    await waitForWorkerIdle(stack);
    assert.equal((await crmCallsMatching(stack, "74951600101")).length, 1);
  });

  test("given that call is in the CRM, when it is re-processed again (POST of its id), then the run says inCrm and the CRM is unchanged", async () => {
    assert.ok(fallbackCallId, "the previous test re-processed the fallback call");
    const before = await stack.crmCalls();
    const result = await run(
      api("/pbx/read_call", { method: "POST", body: JSON.stringify([fallbackCallId]) }),
    );
    assert.deepEqual(
      result.calls.map((c) => c.outcome),
      ["inCrm"],
    );
    await waitForWorkerIdle(stack);
    assert.deepEqual(await stack.crmCalls(), before);
  });

  test("given a live call the workers delivered, when it is re-processed, then inCrm and nothing is sent", async () => {
    await stack.operator(103, { answerAfterMs: 500 });
    await placeCall({
      from: "74951600102",
      to: DID.live,
      talkMs: 2000,
      callerPort: 15075,
      expectAnswer: true,
    });
    const crm = await waitForCrmCall(stack, { phone: "74951600102" });
    await waitForWorkerIdle(stack);
    await completeInCel(reader, crm.EXTERNAL_CALL_ID);
    const before = await stack.crmCalls();
    const result = await run(api(`/pbx/read_call?id=${crm.EXTERNAL_CALL_ID}`));
    assert.deepEqual(
      result.calls.map((c) => [c.outcome, c.summary?.enteredStasis]),
      [["inCrm", true]],
    );
    await waitForWorkerIdle(stack);
    assert.deepEqual(await stack.crmCalls(), before);
  });

  test("given calls while the app was down that a caller gave up, an operator made to a colleague and one to a client, when re-processed, then the CRM has the missed call (304) and the outbound call; the internal one is skipped", async () => {
    await stack.operator(101, "noAnswer");
    await stack.operator(102, "noAnswer");
    await stack.operator(114, { answerAfterMs: 500 });
    const client = await startClient({ behaviour: { answerAfterMs: 500 } });
    const window = await whileAppDown(async () => {
      await placeCall({
        from: "74951600103",
        to: DID.fallback,
        hangupBeforeAnswerMs: 2000,
        callerPort: 15075,
      });
      await placeOperatorCall({ fromExtension: 113, to: "114", talkMs: 2000, expectAnswer: true });
      await placeOperatorCall({ fromExtension: 112, to: "84951600301", talkMs: 2000, expectAnswer: true });
    }).finally(() => client.stop());
    const result = await run(
      api("/pbx/read_call", {
        method: "POST",
        body: JSON.stringify({ start_date: window.from, end_date: window.to }),
      }),
    );
    const calls = [...result.calls].sort((a, b) =>
      (a.summary?.direction ?? "").localeCompare(b.summary?.direction ?? ""),
    );
    assert.deepEqual(
      calls.map((c) => [c.outcome, c.summary?.direction, c.summary?.status, c.summary?.enteredStasis]),
      [
        ["queued", "inbound", "304", false],
        ["queued", "internal", "200", false],
        ["queued", "outbound", "200", false],
      ],
    );
    await saveFixture("fallback-caller-hangs-up", calls[0]!.callId);
    await saveFixture("fallback-internal", calls[1]!.callId);
    await saveFixture("fallback-outbound", calls[2]!.callId);
    const missed = await waitForCrmCall(stack, { phone: "74951600103" });
    // Dial rang 101 and 102 at once; the last one rung (in Dial's order) is responsible for the miss.
    expectFinished(missed, { type: 2, userId: userOf(102), status: "304", durationSec: 0, toleranceSec: 0 });
    const outbound = await waitForCrmCall(stack, { phone: "+74951600301" });
    expectFinished(outbound, { type: 1, userId: userOf(112), status: "200", durationSec: 2 });
    await waitForWorkerIdle(stack);
    const internal = (await stack.crmCalls()).filter((c) => c.EXTERNAL_CALL_ID === calls[1]!.callId);
    assert.deepEqual(internal, [], "internal calls are not registered (crm.registerInternal is off)");
  });

  test("given a call still ringing, when it is re-processed, then inProgress and nothing is written; after its end it is in the CRM once", async () => {
    await stack.operator(104, "noAnswer");
    const ringing = placeCall({
      from: "74951600104",
      to: DID.ringing,
      hangupBeforeAnswerMs: 4000,
      callerPort: 15076,
    });
    const deadline = Date.now() + 5000;
    let callId: string | undefined;
    while (!callId && Date.now() < deadline) {
      callId = (await stack.appCalls()).find((c) => c.clientNumber === "74951600104")?.callId;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(callId, "the app has the call");
    const result = await run(api(`/pbx/read_call?id=${callId}`));
    assert.deepEqual(
      result.calls.map((c) => c.outcome),
      ["inProgress"],
    );
    await ringing;
    const crm = await waitForCrmCall(stack, { phone: "74951600104" });
    expectFinished(crm, { userId: userOf(104), status: "304", durationSec: 0, toleranceSec: 0 });
    await waitForWorkerIdle(stack);
    assert.equal((await crmCallsMatching(stack, "74951600104")).length, 1);
  });

  test("given the running app, when npm run reprocess is used, then it prints each call and exits 0, 1 for an unknown call, 3 for wrong credentials", async () => {
    assert.ok(fallbackCallId, "the first test re-processed the fallback call");
    // Asynchronously: the app answering the CLI runs in this very process.
    const cli = (args: string[], password = PASSWORD) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((done) => {
        const argv = ["--import", "tsx", "app/reprocessing/reprocessCli.ts", ...args];
        const env = { ...process.env, ITGRIX_CONFIG: "", ITGRIX__HTTP__ADMINPASSWORD: password };
        execFile(process.execPath, argv, { cwd: REPO, env, timeout: 30_000 }, (err, stdout, stderr) =>
          done({ status: err ? Number(err.code ?? -1) : 0, stdout, stderr }),
        );
      });
    const url = ["--url", `http://127.0.0.1:${stack.httpPort}`];
    const known = await cli(["--id", fallbackCallId, ...url]);
    assert.equal(known.status, 0, known.stderr);
    assert.match(known.stdout, new RegExp(`${fallbackCallId.replace(".", "\\.")}\\tinCrm`));
    const unknown = await cli(["--id", "1999999999.1", ...url]);
    assert.equal(unknown.status, 1, unknown.stderr);
    assert.match(unknown.stdout, /1999999999\.1\tnotFound/);
    const refused = await cli(["--id", fallbackCallId, ...url], "wrong");
    assert.equal(refused.status, 3, refused.stderr);
    assert.match(refused.stderr, /HTTP 401/);
  });

  async function saveFixture(name: string, callId: string): Promise<void> {
    if (!FIXTURES) return;
    const records = await reader.callRecords(callId);
    mkdirSync(FIXTURES, { recursive: true });
    writeFileSync(
      join(FIXTURES, `${name}.json`),
      JSON.stringify({ scenario: name, records }, null, 2) + "\n",
    );
  }
});

async function completeInCel(reader: RecordsReader, callId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await reader.callRecords(callId)).cel.some((r) => r.eventType === "LINKEDID_END")) {
    if (Date.now() > deadline) throw new Error(`no LINKEDID_END for ${callId}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
