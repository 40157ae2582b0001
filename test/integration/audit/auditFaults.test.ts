/**
 * The self-audit when things go wrong, on the real stack (Asterisk writing CEL into the testbed's
 * PostgreSQL, the app, workers, the strict emulator as the portal), with a configured server id that
 * differs from Asterisk's systemname (call ids `pbx7-tb1-…`), a customization that changes the talk
 * time delivery sends, and a click-to-call (the portal's own CALL_ID):
 * - calls delivered right are reported right: not "wrong" because of the customization, not
 *   "missing" because their call id is not their linkedid or the portal's record of a click-to-call
 *   has no EXTERNAL_CALL_ID — and nothing is registered again;
 * - PostgreSQL stopped: the audit fails with the reason in its report and /status, sends nothing; once
 *   PostgreSQL is back an audit completes;
 * - the portal away during the statistics check: no call is "missing in the portal", the report
 *   says the portal could not be checked;
 * - the worker killed with -9 in the middle of the audit's repair: a new audit finishes the repair,
 *   and the CRM holds every call exactly once.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { AuditReport } from "../../../core/audit/auditReport.ts";
import { runningPostgres, startPostgres, stopPostgres } from "../../../testbed/postgresProcess.ts";
import { loadSettings } from "../../../testbed/settings.ts";
import { samePhone } from "../../support/e2eCrm.ts";
import { placeCall, startClient, type PhoneHandle } from "../../support/sipp.ts";
import {
  crmCallsMatching,
  startStack,
  waitForCrmCall,
  waitForWorkerIdle,
  type Stack,
} from "../../support/stack.ts";
import { getTestbed } from "../../support/testbed.ts";
import { sleep, userOf } from "../e2e/expect.ts";
import { userDirectoryReady } from "../../support/userDirectory.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const PASSWORD = "audit-faults-pw";
const AUTH = "Basic " + Buffer.from(`admin:${PASSWORD}`).toString("base64");
const APP_TOKEN = "demo-application-token";
const DID = "4951700011";
const PHONE = { hooked: "74951700111", click: "+74951700112", failed: "74951700113" };

describe("the self-audit under faults", () => {
  let stack: Stack;
  let client: PhoneHandle | undefined;
  let child: ChildProcess | undefined;
  const settings = loadSettings();
  const start = new Date(Date.now() - 1000).toISOString();
  let clickCallId = "";

  before(async () => {
    const tb = await getTestbed();
    stack = await startStack({
      auth: "oauth",
      cardMode: "ring",
      groups: { live: { strategy: "ringall", members: [103], groupTimeoutSec: 10 } },
      dids: { [DID]: { group: "live" } },
      operators: { 101: { answerAfterMs: 300 }, 103: { answerAfterMs: 500 } },
      config: {
        cdr: { url: tb.postgres.url },
        http: { adminPassword: PASSWORD },
        // Not Asterisk's systemname (tb1): call ids are pbx7-<linkedid>.
        asterisk: { serverId: "pbx7" },
        bitrix: {
          applicationToken: APP_TOKEN,
          retry: { baseDelayMs: 50, maxDelayMs: 200, maxAttempts: 2 },
        },
        events: { delivery: "online", clickRingTimeoutSec: 6 },
        routing: { operators: ["101", "103"], outboundRingTimeoutSec: 6 },
        // Talk with 103 does not count: the CRM gets DURATION 0 where Asterisk's records say 3 s.
        hooks: { shipped: { talkWithoutSupport: { options: { exclude: { extensions: ["103"] } } } } },
        // A small retry budget (a portal answering 500 fails a call within seconds); a short call lock
        // (a killed worker's lock lapses quickly).
        workers: { jobAttempts: 2, jobBackoffMs: 100, inFlightWindowMs: 300, jobLockMs: 2_000 },
        audit: { enabled: false, verifyTimeoutSec: 30, periodHours: 1, settleMinutes: 0 },
      },
    });
    const bind = await rest("event.bind", {
      event: "ONEXTERNALCALLSTART",
      handler: `http://127.0.0.1:${stack.httpPort}/bitrix/events`,
    });
    assert.equal(bind.status, 200, await bind.text());
    await userDirectoryReady(stack);
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await client?.stop();
    // Whatever happened: the next files need it.
    if (runningPostgres(settings) === undefined) await startPostgres(settings);
    await stack?.stop();
  });

  const rest = (method: string, params: Record<string, unknown>) =>
    fetch(`${stack.emulator.url}/rest/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ auth: "demo-access-token", ...params }),
    });
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${stack.httpPort}${path}`, {
      ...init,
      headers: { authorization: AUTH, "content-type": "application/json", ...(init.headers ?? {}) },
    });
  const emulator = (path: string, method: "POST" | "DELETE", body?: unknown) =>
    fetch(`${stack.emulator.url}/_emulator/${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  /** Requests of `method` the portal ran (answered 200). */
  const ran = async (method: string) => {
    const state = await fetch(`${stack.emulator.url}/_emulator/state`);
    const { requests } = (await state.json()) as { requests: { status: number; commands?: string[] }[] };
    return requests.filter((r) => r.status === 200 && r.commands?.includes(method)).length;
  };
  const writes = async () =>
    [await ran("telephony.externalcall.register"), await ran("telephony.externalcall.finish")].join("/");

  async function requestAudit(from = start): Promise<string> {
    const body = { start_date: from, end_date: new Date(Date.now() + 1000).toISOString() };
    const res = await api("/audit", { method: "POST", body: JSON.stringify(body) });
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as { id: string }).id;
  }
  async function report(id: string): Promise<AuditReport | undefined> {
    const res = await api(`/audit/${id}`);
    return res.status === 200 ? ((await res.json()) as AuditReport) : undefined;
  }
  async function finished(id: string, timeoutMs = 60_000): Promise<AuditReport> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await report(id);
      if (r && (r.state === "done" || r.state === "failed")) return r;
      if (Date.now() > deadline) throw new Error(`audit ${id} still ${r?.state}: ${JSON.stringify(r)}`);
      await sleep(200);
    }
  }

  test("given a call whose talk time a customization changed and a click-to-call, both delivered, when audited, then both are ok and nothing is sent again", async () => {
    await placeCall({ from: PHONE.hooked, to: DID, talkMs: 3000, callerPort: 15075, expectAnswer: true });
    const hooked = await waitForCrmCall(stack, { phone: PHONE.hooked });
    assert.equal(hooked.finish?.DURATION, 0, "the customization's talk time went to the CRM");

    client = await startClient({ behaviour: { answerAfterMs: 500, talkMs: 2000 } });
    const fire = await emulator("events/fire", "POST", {
      event: "ONEXTERNALCALLSTART",
      data: { USER_ID: String(userOf(101)), PHONE_NUMBER: PHONE.click },
    });
    assert.equal(fire.status, 200, await fire.clone().text());
    clickCallId = ((await fire.json()) as { CALL_ID: string }).CALL_ID;
    const click = await waitForCrmCall(stack, (c) => c.CALL_ID === clickCallId);
    assert.equal(click.finish?.STATUS_CODE, "200");
    await client.stop();
    client = undefined;
    await waitForWorkerIdle(stack);

    // The portal's own call does not carry our EXTERNAL_CALL_ID: only its CALL_ID finds its record.
    const clickJournal = (await stack.redis.keys(stack.keys.journal("pbx7-*"))).length;
    assert.equal(clickJournal, 2, "both calls' journals are under pbx7-<linkedid>");
    const ours = await callIdOf(PHONE.click);
    const byExternal = await statistic({ EXTERNAL_CALL_ID: ours });
    assert.deepEqual(byExternal, [], "no statistics record carries the click-to-call's EXTERNAL_CALL_ID");
    assert.equal((await statistic({ CALL_ID: clickCallId })).length, 1);

    const before = await writes();
    const audited = await finished(await requestAudit());
    assert.equal(audited.state, "done", audited.error);
    assert.equal(audited.portal.checked, true, audited.portal.error);
    assert.deepEqual(
      [audited.counts.asterisk, audited.counts.ok, audited.counts.found],
      [2, 2, {}],
      JSON.stringify(audited.found),
    );
    await waitForWorkerIdle(stack);
    assert.equal(await writes(), before, "nothing registered or finished again");
    assert.equal((await crmCallsMatching(stack, PHONE.click)).length, 1);
  });

  test("given PostgreSQL stopped, when audited, then the audit fails with the reason, nothing is sent, /status says so; back, an audit completes", async () => {
    const before = await writes();
    await stopPostgres(settings);
    let failed: AuditReport;
    try {
      failed = await finished(await requestAudit());
    } finally {
      await startPostgres(settings);
    }
    assert.equal(failed.state, "failed");
    assert.match(
      failed.error ?? "",
      /^Asterisk's records \(cdr\.url\) could not be read: .*(ECONNREFUSED|terminat)/,
    );
    const status = await stack.appStatus();
    assert.equal(status.audit?.state, "failed");
    assert.equal(status.audit?.error, failed.error);
    assert.ok(
      status.problems.some((p) => p.includes(`the last audit (${failed.id}) failed`)),
      JSON.stringify(status.problems),
    );
    assert.equal(await writes(), before, "nothing re-sent");

    const back = await finished(await requestAudit());
    assert.equal(back.state, "done", back.error);
    assert.deepEqual([back.counts.ok, back.counts.found], [2, {}]);
    assert.equal((await stack.appStatus()).audit?.state, "done");
  });

  test("given the portal away during the statistics check, when audited, then no call is reported missing and the report says the portal was not checked", async () => {
    const before = await writes();
    await emulator("faults", "POST", { outageForMs: 60_000 });
    let away: AuditReport;
    try {
      away = await finished(await requestAudit());
    } finally {
      await emulator("faults", "DELETE");
    }
    assert.equal(away.state, "done", away.error);
    assert.equal(away.portal.checked, false);
    assert.ok(away.portal.error, "the report says why the portal was not checked");
    assert.deepEqual([away.counts.ok, away.counts.found], [2, {}], JSON.stringify(away.found));
    const status = await stack.appStatus();
    assert.equal(status.audit?.portalError, away.portal.error);
    assert.ok(status.problems.some((p) => p.includes("could not read the portal's statistics")));
    assert.equal(await writes(), before, "nothing sent but the statistics asked");
  });

  test("given the worker killed with -9 in the middle of an audit's repair, when audited again, then the repair is finished and nothing is doubled", async () => {
    await emulator("faults", "POST", { errorRate5xx: 1 });
    const from = new Date(Date.now() - 1000).toISOString();
    await placeCall({ from: PHONE.failed, to: DID, talkMs: 2000, callerPort: 15075, expectAnswer: true });
    const failedId = await callIdOf(PHONE.failed);
    await waitFor(
      "the call to fail",
      async () => (await stack.redis.zscore(stack.keys.failedCalls, failedId)) !== null,
    );
    await emulator("faults", "DELETE");
    await waitForLinkedIdEnd(failedId);

    await stack.stopWorker();
    child = await spawnWorker();
    await emulatorConfig({ commandCostMs: 1_500 }); // register at +1.5 s, finish at +3 s
    const killed = await requestAudit(from);
    await waitFor(
      "the audit's repair to reach the portal",
      async () => {
        const r = await report(killed);
        return (
          r?.state === "running" &&
          r.found.some((f) => f.callId === failedId) &&
          (await crmCallsMatching(stack, PHONE.failed)).length > 0
        );
      },
      60_000,
      async () =>
        JSON.stringify({
          report: await report(killed),
          journal: await stack.redis.get(stack.keys.journal(failedId)),
          crm: await stack.crmCalls(),
        }),
    );
    const exited = new Promise((resolve) => child!.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    assert.equal((await report(killed))?.state, "running", "killed in the middle of the run");
    await emulatorConfig({ commandCostMs: 0 });
    await stack.startWorker();

    const again = await finished(await requestAudit(from));
    assert.equal(again.state, "done", again.error);
    assert.deepEqual(again.needsPerson, [], JSON.stringify(again.needsPerson));
    await waitForWorkerIdle(stack);
    const after = await finished(await requestAudit());
    assert.deepEqual(
      [after.counts.ok, after.counts.found, after.needsPerson],
      [3, {}, []],
      JSON.stringify(after.found),
    );
    const failed = await waitForCrmCall(stack, { phone: PHONE.failed });
    assert.equal(failed.finish?.USER_ID, userOf(103));
    assert.equal(failed.finish?.DURATION, 0, "finished as delivery decides (the customization)");
    for (const phone of Object.values(PHONE))
      assert.equal((await crmCallsMatching(stack, phone)).length, 1, `${phone} once in the CRM`);
    assert.equal((await stack.crmCalls()).length, 3);
  });

  async function callIdOf(phone: string): Promise<string> {
    let id: string | undefined;
    await waitFor(`the app's call from ${phone}`, async () => {
      id = (await stack.appCalls()).find((c) => samePhone(c.clientNumber, phone))?.callId;
      return id !== undefined;
    });
    // Ours: pbx7-<linkedid> (tb1-… from Asterisk, or the channel id the app originated a click with).
    assert.match(id!, /^pbx7-/);
    return id!;
  }
  async function statistic(filter: Record<string, string>): Promise<unknown[]> {
    const res = await rest("voximplant.statistic.get", { FILTER: filter });
    assert.equal(res.status, 200);
    return ((await res.json()) as { result: unknown[] }).result;
  }
  async function emulatorConfig(body: Record<string, unknown>): Promise<void> {
    const res = await emulator("config", "POST", body);
    assert.equal(res.status, 200, await res.text());
  }
  async function waitForLinkedIdEnd(callId: string): Promise<void> {
    const tb = await getTestbed();
    const db = new pg.Client({ connectionString: tb.postgres.url });
    await db.connect();
    try {
      const linkedId = callId.slice("pbx7-".length);
      await waitFor(`LINKEDID_END of ${linkedId}`, async () => {
        const { rowCount } = await db.query(
          "SELECT 1 FROM cel WHERE linkedid = $1 AND eventtype = 'LINKEDID_END'",
          [linkedId],
        );
        return (rowCount ?? 0) > 0;
      });
    } finally {
      await db.end();
    }
  }
  /** `npm run workers` as a child process with the stack's configuration. */
  async function spawnWorker(): Promise<ChildProcess> {
    const dir = mkdtempSync(join(tmpdir(), "itgrix-audit-faults-"));
    const file = join(dir, "workers.json");
    writeFileSync(file, JSON.stringify(stack.config));
    const proc = spawn(process.execPath, ["--import", "tsx", "workers/main.ts"], {
      cwd: ROOT,
      env: { ...process.env, ITGRIX_CONFIG: file },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const component = `worker:${hostname()}:${proc.pid}`;
    await waitFor(
      "the worker process to start",
      async () => (await stack.redis.hexists(stack.keys.heartbeats, component)) === 1,
      45_000,
    );
    return proc;
  }
});

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
  seen?: () => Promise<string>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${seen ? `; saw ${await seen()}` : ""}`);
    await sleep(100);
  }
}
