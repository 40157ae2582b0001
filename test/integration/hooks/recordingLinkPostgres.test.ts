/**
 * The shipped recordingLinkFromDb customization against the real PostgreSQL of the testbed (the
 * database Asterisk writes its CDR/CEL into): the `pg` pool the connector opens for `cdr.url` is the
 * hooks' `ctx.db` as it is, the link table lives in its own schema (a quoted `schema.table` name), and
 * the call's linkedid travels as a parameter — a linkedid full of SQL finds nothing and breaks nothing.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { parseConfig } from "../../../core/config/loadConfig.ts";
import { HookSystem } from "../../../core/hooks/hookSystem.ts";
import type { HookCrmRequest } from "../../../core/hooks/ports.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import { openRecordsPool, type RecordsPool } from "../../../core/records/recordsDb.ts";
import { foldCallEvents } from "../../../core/calls/reducer.ts";
import type { CallState } from "../../../core/calls/types.ts";
import { getTestbed } from "../../support/testbed.ts";

const schema = `hooks_test_${randomBytes(4).toString("hex")}`;
const link = "https://records.example/2025/03/1741000000.42.mp3";

function callWithId(callId: string): CallState {
  const at = "2025-03-03T09:00:00.000Z";
  return foldCallEvents([
    {
      type: "callStarted",
      at,
      callId,
      direction: "inbound",
      clientNumber: "84951234567",
      lineNumber: "74950000000",
    },
    { type: "callEnded", at, hangupBy: "client" },
  ]);
}

describe("recordingLinkFromDb on the real PostgreSQL", () => {
  let pool: RecordsPool;
  let hooks: HookSystem;

  before(async () => {
    const tb = await getTestbed();
    pool = openRecordsPool({ url: tb.postgres.url, connectTimeoutMs: 5000, queryTimeoutMs: 10_000, max: 2 });
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query(`CREATE TABLE ${schema}.links (linkedid text PRIMARY KEY, url text NOT NULL)`);
    await pool.query(`INSERT INTO ${schema}.links VALUES ($1, $2)`, ["1741000000.42", link]);
    const config = parseConfig({
      hooks: {
        shipped: {
          recordingLinkFromDb: {
            options: { table: `${schema}.links`, activityField: "UF_CRM_RECORD_LINK" },
          },
        },
      },
    });
    hooks = await new HookSystem({ config, logger: createLogger("test", "warn"), db: pool }).start();
  });
  after(async () => {
    hooks?.stop();
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool?.end();
  });

  test("the link of the call's linkedid becomes RECORD_URL and goes into the activity field", async () => {
    const call = callWithId("1741000000.42");
    const spool = { kind: "file" as const, file: "itgrix/1741000000.42.wav" };
    const source = await hooks.runner.run("recordingSource", {
      call,
      input: { delivery: "upload" },
      value: spool,
    });
    assert.deepEqual(source, { kind: "url", url: link, fileName: "1741000000.42.mp3" });

    const sent: HookCrmRequest[] = [];
    const input = { bxCallId: "c1", activityId: "77", userId: 2, duration: 60, statusCode: "200" };
    await hooks.runner.run("afterFinish", {
      call,
      input,
      value: undefined,
      crm: { call: async (r) => void sent.push(r) },
    });
    assert.deepEqual(
      sent.map((r) => r.params),
      [{ id: 77, fields: { UF_CRM_RECORD_LINK: link } }],
    );
  });

  test("no row, or a linkedid made of SQL: the spool file stays and the table is intact", async () => {
    const spool = { kind: "file" as const, file: "itgrix/x.wav" };
    for (const callId of ["1741000099.1", `x' OR '1'='1`, `x'; DROP TABLE ${schema}.links; --`]) {
      const source = await hooks.runner.run("recordingSource", {
        call: callWithId(callId),
        input: { delivery: "upload" },
        value: spool,
      });
      assert.deepEqual(source, spool, callId);
    }
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.links`);
    assert.equal(rows[0].n, 1);
    assert.equal(hooks.runner.stats.snapshot().recordingSource?.errors, 0);
  });
});
