import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HookDb } from "../../../core/hooks/api.ts";
import {
  JournaledHookCrm,
  RecordCommandStore,
  type HookCommandMark,
} from "../../../core/hooks/crmGateway.ts";
import { dueEvents } from "../../../core/hooks/events.ts";
import { directory } from "../calls/callEvents.ts";
import * as scenario from "../calls/scenarios.ts";
import { callOf, capturingLogger, recordingGateway, shippedRunner } from "./support.ts";

const finished = { bxCallId: "c1", activityId: "77", userId: 2, duration: 60, statusCode: "200" };

/** Asterisk's link table as the customization would query it; checks the statement it gets. */
function linkTable(rows: Record<string, string>): {
  db: HookDb;
  queries: { sql: string; params: unknown[] }[];
} {
  const queries: { sql: string; params: unknown[] }[] = [];
  const db: HookDb = {
    query: async (sql, params = []) => {
      queries.push({ sql, params: [...params] });
      const url = rows[String(params[0])];
      return { rows: url ? [{ url }] : [] } as never;
    },
  };
  return { db, queries };
}

describe("shipped ivrMissedNotify", () => {
  it("notifies the manager whose extension the caller chose in the IVR, once per call", async () => {
    const { runner } = await shippedRunner({ ivrMissedNotify: {} });
    const call = callOf(scenario.ivrMissedThenGroup());
    const [event] = dueEvents(call, {}, new Set(), directory);
    assert.equal(event?.point, "onIvrMissed");
    const entries: Record<string, HookCommandMark> = {};
    const sent: unknown[] = [];
    const { logger } = capturingLogger();
    const crm = new JournaledHookCrm({
      store: new RecordCommandStore(entries),
      sender: { send: async (_id, command) => (sent.push(command), { ok: true, result: 41 }) },
      classify: () => undefined,
      logger,
    });
    const request = { call, input: event!.input as never, value: undefined, crm };
    await runner.run("onIvrMissed", request);
    await runner.run("onIvrMissed", request); // a retried reconcile
    assert.deepEqual(sent, [
      {
        method: "im.notify.personal.add",
        params: {
          USER_ID: 5,
          MESSAGE:
            "Missed call from 84951234567: the caller chose your extension 105 in the IVR (line 74950000000).",
        },
      },
    ]);
  });

  it("a TAG on request, and nobody to notify when the extension is not a CRM user", async () => {
    const { runner } = await shippedRunner({
      ivrMissedNotify: { options: { tag: true, message: "#CALL_ID#" } },
    });
    const call = callOf(scenario.ivrMissedThenGroup());
    const { crm, sent } = recordingGateway();
    await runner.run("onIvrMissed", {
      call,
      input: { extension: "105", digits: "105", userId: 5 },
      value: undefined,
      crm,
    });
    assert.deepEqual(sent[0]?.params, {
      USER_ID: 5,
      MESSAGE: call.callId,
      TAG: `itgrix-ivr-missed-${call.callId}`,
    });
    assert.equal(sent[0]?.ifUnknown, "resend");
    await runner.run("onIvrMissed", {
      call,
      input: { extension: "301", digits: "301", userId: null },
      value: undefined,
      crm,
    });
    assert.equal(sent.length, 1);
  });
});

describe("shipped recordingLinkFromDb", () => {
  const call = callOf(scenario.inboundAnswered());
  const link = "https://records.example/2025/03/1741000000.42.mp3";
  const spool = { kind: "file" as const, file: "itgrix/1741000000.42.wav" };

  it("the link from the table becomes the recording source (RECORD_URL), queried by linkedid", async () => {
    const { db, queries } = linkTable({ [call.callId]: link });
    const { runner } = await shippedRunner(
      { recordingLinkFromDb: { options: { table: "cdr.links" } } },
      {},
      { db },
    );
    const source = await runner.run("recordingSource", { call, input: { delivery: "upload" }, value: spool });
    assert.deepEqual(source, { kind: "url", url: link, fileName: "1741000000.42.mp3" });
    assert.deepEqual(queries, [
      { sql: 'SELECT "url" AS url FROM "cdr"."links" WHERE "linkedid" = $1 LIMIT 1', params: [call.callId] },
    ]);
  });

  it("no row, no database, or a refused link: the spool file stays", async () => {
    const empty = linkTable({});
    const { runner } = await shippedRunner({ recordingLinkFromDb: {} }, {}, { db: empty.db });
    assert.deepEqual(
      await runner.run("recordingSource", { call, input: { delivery: "upload" }, value: spool }),
      spool,
    );
    const noDb = await shippedRunner({ recordingLinkFromDb: {} });
    assert.deepEqual(
      await noDb.runner.run("recordingSource", { call, input: { delivery: "upload" }, value: spool }),
      spool,
    );
    assert.ok(noDb.lines.some((l) => /no PostgreSQL configured/.test(l.msg)));
    const odd = linkTable({ [call.callId]: "file:///etc/passwd" });
    const r3 = await shippedRunner({ recordingLinkFromDb: {} }, {}, { db: odd.db });
    assert.deepEqual(
      await r3.runner.run("recordingSource", { call, input: { delivery: "upload" }, value: spool }),
      spool,
    );
  });

  it("writes the link into the configured activity field after finish", async () => {
    const { db } = linkTable({ [call.callId]: link });
    const options = { recordUrl: false, activityField: "UF_CRM_RECORD_LINK" };
    const { runner } = await shippedRunner({ recordingLinkFromDb: { options } }, {}, { db });
    assert.deepEqual(
      await runner.run("recordingSource", { call, input: { delivery: "url" }, value: spool }),
      spool,
    );
    const { crm, sent } = recordingGateway();
    await runner.run("afterFinish", { call, input: finished, value: undefined, crm });
    assert.deepEqual(
      sent.map((r) => [r.method, r.params, r.journal]),
      [["crm.activity.update", { id: 77, fields: { UF_CRM_RECORD_LINK: link } }, true]],
    );
    await runner.run("afterFinish", {
      call,
      input: { ...finished, activityId: null },
      value: undefined,
      crm,
    });
    assert.equal(sent.length, 1, "no activity: nothing to update");
  });

  it("refuses table names that are not identifiers (configuration error)", async () => {
    await assert.rejects(
      shippedRunner({ recordingLinkFromDb: { options: { table: "links; drop table cdr" } } }),
      /hooks\.shipped\.recordingLinkFromDb\.options\.table/,
    );
  });
});

describe("shipped activitySettings", () => {
  it("ADD_TO_CHAT only for the chosen lines", async () => {
    const { runner } = await shippedRunner({ activitySettings: { options: { chatLines: ["74950000000"] } } });
    const params = { USER_ID: 1, DURATION: 60, STATUS_CODE: "200", ADD_TO_CHAT: 0 as const };
    const onLine = callOf(scenario.inboundAnswered());
    assert.equal(
      (await runner.run("beforeFinish", { call: onLine, input: { bxCallId: "c" }, value: params }))
        .ADD_TO_CHAT,
      1,
    );
    const other = { ...onLine, lineNumber: "74959999999" };
    const value = { ...params, ADD_TO_CHAT: 1 as const };
    assert.equal(
      (await runner.run("beforeFinish", { call: other, input: { bxCallId: "c" }, value })).ADD_TO_CHAT,
      0,
    );
  });

  it("deadline offset (START_TIME) and auto-complete for the chosen call types, in one update", async () => {
    const options = {
      deadlineOffsetMin: 120,
      autoComplete: [{ directions: ["outbound"] }, { directions: ["inbound"], statusCodes: ["200"] }],
    };
    const { runner } = await shippedRunner({ activitySettings: { options } });
    const call = callOf(scenario.inboundAnswered()); // ends at T0 + 65 s
    const { crm, sent } = recordingGateway();
    await runner.run("afterFinish", { call, input: finished, value: undefined, crm });
    assert.deepEqual(sent[0]?.params, {
      id: 77,
      fields: { START_TIME: "2025-03-03T11:01:05+00:00", COMPLETED: "Y" },
    });
    const missed = callOf(scenario.missedNobodyAnswered());
    await runner.run("afterFinish", {
      call: missed,
      input: { ...finished, statusCode: "304" },
      value: undefined,
      crm,
    });
    assert.deepEqual(
      sent[1]?.params,
      { id: 77, fields: { START_TIME: "2025-03-03T11:01:00+00:00" } },
      "not completed",
    );
  });

  it("nothing to change: nothing sent", async () => {
    const { runner } = await shippedRunner({ activitySettings: {} });
    const { crm, sent } = recordingGateway();
    await runner.run("afterFinish", {
      call: callOf(scenario.inboundAnswered()),
      input: finished,
      value: undefined,
      crm,
    });
    assert.equal(sent.length, 0);
  });
});
