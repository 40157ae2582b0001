/**
 * The self-audit on the real stack (Asterisk writing CEL into PostgreSQL, the app, a worker, the
 * strict emulator): a call made while the app was down (the dialplan's fallback) and a call whose
 * delivery failed for good (every portal request answered 500 past a small retry budget) are found by
 * an audit and repaired — each in the CRM exactly once with the right user, status and talk time —
 * and the report is empty afterwards; auditing again changes nothing; a call whose journal expired is
 * re-processed without a second call in the CRM; the schedule runs the same audit; wrong credentials
 * get 401; /status carries the audit's summary and the error statistics.
 *
 * ITGRIX_AUDIT_REPORT_OUT=<file> also writes the report of the repairing run there.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { Queue } from "bullmq";
import { AUDIT_QUEUE, AUDIT_SCHEDULER_ID, type AuditJob } from "../../../core/audit/auditJob.ts";
import type { AuditReport } from "../../../core/audit/auditReport.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import { openRecordsPool, type RecordsPool } from "../../../core/records/recordsDb.ts";
import { RecordsReader } from "../../../core/records/recordsReader.ts";
import { scheduleAudit } from "../../../workers/audit/auditWorker.ts";
import { placeCall } from "../../support/sipp.ts";
import {
  crmCallsMatching,
  startStack,
  waitForCrmCall,
  waitForWorkerIdle,
  type Stack,
} from "../../support/stack.ts";
import { getTestbed } from "../../support/testbed.ts";
import { expectFinished, userOf } from "../e2e/expect.ts";

const PASSWORD = "audit-e2e-pw";
const AUTH = "Basic " + Buffer.from(`admin:${PASSWORD}`).toString("base64");
const DID = { live: "4951700001", fallback: "4951700003" };
const PHONE = { fallback: "74951700101", failed: "74951700102" };

describe("the self-audit on the real stack", () => {
  let stack: Stack;
  let pool: RecordsPool;
  let reader: RecordsReader;
  let period = { from: "", to: "" };
  let repairing: AuditReport | undefined;

  before(async () => {
    const tb = await getTestbed();
    stack = await startStack({
      cardMode: "ring",
      groups: { live: { strategy: "ringall", members: [103], groupTimeoutSec: 10 } },
      dids: { [DID.live]: { group: "live" } },
      config: {
        cdr: { url: tb.postgres.url },
        http: { adminPassword: PASSWORD },
        routing: { operators: ["101", "102", "103"] },
        // A small retry budget: a portal answering 500 fails a call within seconds.
        workers: { jobAttempts: 2, jobBackoffMs: 100, inFlightWindowMs: 300 },
        bitrix: { retry: { baseDelayMs: 50, maxDelayMs: 200, maxAttempts: 2 } },
        audit: { enabled: false, verifyTimeoutSec: 60, periodHours: 1, settleMinutes: 0 },
      },
    });
    pool = openRecordsPool({ url: tb.postgres.url, connectTimeoutMs: 5000, queryTimeoutMs: 10_000 });
    reader = new RecordsReader(pool, { celTable: "cel", cdrTable: "cdr", timeZone: "UTC" });
    // The scheduled audit covers the last hour of the testbed's one PostgreSQL: the calls of the test
    // files that ran before (finished, some failed on purpose) are not this file's to judge.
    await pool.query("DELETE FROM cel");
    await pool.query("DELETE FROM cdr");
  });
  after(async () => {
    await pool?.end();
    await stack?.stop();
  });

  const api = (path: string, init: RequestInit = {}, auth = AUTH) =>
    fetch(`http://127.0.0.1:${stack.httpPort}${path}`, {
      ...init,
      headers: { authorization: auth, "content-type": "application/json", ...(init.headers ?? {}) },
    });
  const faults = (method: "POST" | "DELETE", body?: unknown) =>
    fetch(`${stack.emulator.url}/_emulator/faults`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const ran = async (method: string) => {
    const { requests } = (await (await fetch(`${stack.emulator.url}/_emulator/state`)).json()) as {
      requests: { status: number; commands?: string[] }[];
    };
    return requests.filter((r) => r.status === 200 && r.commands?.includes(method)).length;
  };

  async function audit(
    body: unknown = { start_date: period.from, end_date: period.to },
  ): Promise<AuditReport> {
    const res = await api("/audit", { method: "POST", body: JSON.stringify(body) });
    assert.equal(res.status, 202, await res.clone().text());
    const { id } = (await res.json()) as { id: string };
    return finished(id);
  }
  async function finished(id: string): Promise<AuditReport> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const r = (await (await api(`/audit/${id}`)).json()) as AuditReport;
      if (r.state === "done" || r.state === "failed") return r;
      if (Date.now() > deadline) throw new Error(`audit ${id} still ${r.state}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }
  async function completeInCel(callId: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await reader.callRecords(callId)).cel.some((r) => r.eventType === "LINKEDID_END")) {
      if (Date.now() > deadline) throw new Error(`no LINKEDID_END for ${callId}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  test("given no or wrong credentials, when an audit is asked or read, then 401", async () => {
    assert.equal((await api("/audit", { method: "POST", body: "{}" }, "")).status, 401);
    const wrong = "Basic " + Buffer.from("admin:wrong").toString("base64");
    assert.equal((await api("/audit", { method: "POST", body: "{}" }, wrong)).status, 401);
    assert.equal((await api("/audit/latest", {}, wrong)).status, 401);
    const bad = await api("/audit", { method: "POST", body: JSON.stringify({ start_date: "yesterday" }) });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { parameter: string }).parameter, "start_date");
  });

  test("given a call while the app was down and a call failed for good while the portal was down, when audited, then both are repaired, verified, and nothing needs a person", async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    await stack.operator(101, { answerAfterMs: 1000 });
    await stack.operator(102, "noAnswer");
    await stack.operator(103, { answerAfterMs: 500 });
    await stack.stopApp();
    try {
      await placeCall({
        from: PHONE.fallback,
        to: DID.fallback,
        talkMs: 3000,
        callerPort: 15075,
        expectAnswer: true,
      });
    } finally {
      await stack.startApp();
    }
    await faults("POST", { errorRate5xx: 1 });
    await placeCall({
      from: PHONE.failed,
      to: DID.live,
      talkMs: 2000,
      callerPort: 15075,
      expectAnswer: true,
    });
    const failedId = await waitForFailed(PHONE.failed);
    await faults("DELETE");
    await completeInCel(failedId);
    period = { from, to: new Date(Date.now() + 1000).toISOString() };
    assert.deepEqual(
      await crmCallsMatching(stack, PHONE.fallback),
      [],
      "the fallback call is not in the CRM",
    );

    repairing = await audit();
    if (process.env.ITGRIX_AUDIT_REPORT_OUT)
      writeFileSync(process.env.ITGRIX_AUDIT_REPORT_OUT, JSON.stringify(repairing, null, 2) + "\n");
    assert.equal(repairing.state, "done", repairing.error);
    assert.equal(repairing.portal.checked, true);
    assert.equal(repairing.counts.asterisk, 2);
    assert.deepEqual(repairing.counts.found, { missing: 1, failed: 1 });
    assert.deepEqual(repairing.repaired.map((r) => [r.problem, r.action]).sort(), [
      ["failed", "reopened"],
      ["missing", "reprocessed"],
    ]);
    assert.deepEqual(repairing.needsPerson, []);
    const failedFinding = repairing.found.find((f) => f.problem === "failed");
    assert.equal(failedFinding?.callId, failedId);
    assert.match(failedFinding?.detail ?? "", /HTTP_500|500|NO_ANSWER|INTERNAL/);

    const fallback = await waitForCrmCall(stack, { phone: PHONE.fallback });
    expectFinished(fallback, { type: 2, userId: userOf(101), status: "200", durationSec: 3 });
    const failed = await waitForCrmCall(stack, { phone: PHONE.failed });
    expectFinished(failed, { type: 2, userId: userOf(103), status: "200", durationSec: 2 });
    await waitForWorkerIdle(stack);
    assert.equal((await crmCallsMatching(stack, PHONE.fallback)).length, 1);
    assert.equal((await crmCallsMatching(stack, PHONE.failed)).length, 1);
  });

  test("given the repaired period, when audited again, then the report is empty and the CRM unchanged", async () => {
    assert.ok(repairing, "the repairing audit ran");
    const before = await stack.crmCalls();
    const registers = await ran("telephony.externalcall.register");
    const again = await audit();
    assert.equal(again.state, "done");
    assert.deepEqual(
      [again.counts.found, again.counts.ok, again.repaired, again.needsPerson],
      [{}, 2, [], []],
    );
    await waitForWorkerIdle(stack);
    assert.deepEqual(await stack.crmCalls(), before);
    assert.equal(await ran("telephony.externalcall.register"), registers, "nothing registered again");
    const latest = (await (await api("/audit/latest")).json()) as AuditReport;
    assert.equal(latest.id, again.id);
  });

  test("given a delivered call whose journal and state expired, when it is re-processed and audited, then the portal's record is adopted: no second call", async () => {
    const fallbackId = repairing!.repaired.find((r) => r.problem === "missing")!.callId;
    await stack.redis.del(stack.keys.journal(fallbackId), stack.keys.call(fallbackId));
    await stack.redis.zrem(stack.keys.deliveredCalls, fallbackId);
    const registers = await ran("telephony.externalcall.register");
    const res = await api(`/pbx/read_call?id=${fallbackId}`);
    assert.equal(res.status, 202);
    const journal = await waitForJournal(fallbackId);
    assert.ok(journal.deliveredAt, "delivered again — by adopting the portal's record");
    await waitForWorkerIdle(stack);
    assert.equal(await ran("telephony.externalcall.register"), registers, "register was not sent again");
    assert.equal((await crmCallsMatching(stack, PHONE.fallback)).length, 1);
    const again = await audit();
    assert.deepEqual([again.counts.found, again.needsPerson], [{}, []]);
  });

  test("given the schedule, when it ticks, then a scheduled audit of the configured period runs", async () => {
    const connection = stack.redis.duplicate();
    const queue = new Queue<AuditJob>(AUDIT_QUEUE, { connection, prefix: stack.prefix });
    try {
      assert.equal(await queue.getJobScheduler(AUDIT_SCHEDULER_ID), undefined, "audit.enabled false: none");
      const every2s = { ...stack.config.audit, enabled: true, cron: "*/2 * * * * *" };
      await scheduleAudit(queue, { audit: every2s }, createLogger("test", "silent"));
      const scheduler = await queue.getJobScheduler(AUDIT_SCHEDULER_ID);
      assert.equal(scheduler?.pattern, "*/2 * * * * *");
      const deadline = Date.now() + 20_000;
      let latest: AuditReport | undefined;
      while (Date.now() < deadline) {
        latest = (await (await api("/audit/latest")).json()) as AuditReport;
        if (latest.trigger === "schedule" && latest.state === "done") break;
        await new Promise((r) => setTimeout(r, 250));
      }
      await scheduleAudit(queue, { audit: { ...every2s, enabled: false } }, createLogger("test", "silent"));
      assert.equal(latest?.trigger, "schedule");
      assert.equal(latest.state, "done");
      assert.ok(latest.counts.asterisk >= 2, JSON.stringify(latest.counts));
      assert.deepEqual(latest.needsPerson, []);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });

  test("then /status has the last audit's summary and the errors of the last hour, day and week", async () => {
    const status = await stack.appStatus();
    assert.equal(status.audit?.needsPerson, 0);
    assert.ok(status.audit?.asteriskCalls >= 2);
    assert.ok((status.errors.lastHour?.["calls.failed"] ?? 0) >= 1, JSON.stringify(status.errors));
    assert.ok((status.errors.lastDay?.["calls.failed"] ?? 0) >= 1);
    assert.ok((status.errors.lastWeek?.["calls.failed"] ?? 0) >= 1);
  });

  async function waitForFailed(phone: string): Promise<string> {
    const deadline = Date.now() + 40_000;
    for (;;) {
      const call = (await stack.appCalls()).find((c) => c.clientNumber.endsWith(phone.slice(1)));
      if (call && (await stack.redis.zscore(stack.keys.failedCalls, call.callId)) !== null)
        return call.callId;
      if (Date.now() > deadline) throw new Error(`the call from ${phone} did not fail`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  async function waitForJournal(callId: string): Promise<{ deliveredAt?: string }> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const json = await stack.redis.get(stack.keys.journal(callId));
      const journal = json ? (JSON.parse(json) as { deliveredAt?: string }) : undefined;
      if (journal?.deliveredAt) return journal;
      if (Date.now() > deadline) throw new Error(`call ${callId} not delivered: ${json}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
});
