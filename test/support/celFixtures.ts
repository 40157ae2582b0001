/**
 * Asterisk's records for tests that need no live call: a database of their own on the testbed's
 * PostgreSQL (the connector's tables, created by its own setup), and captured calls
 * (test/fixtures/cel/) written into it under a fresh linkedid, as cel_pgsql and cdr_pgsql would.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { CallState } from "../../core/calls/types.ts";
import type { CallRecords } from "../../core/records/callRecords.ts";
import { openRecordsPool, setupRecordTables, type RecordsPool } from "../../core/records/recordsDb.ts";

const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/cel");

export interface CelFixture {
  scenario: string;
  live?: CallState;
  records: CallRecords;
}

/** Names of the captured calls (file names without `.json`), sorted. */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5))
    .sort();
}

export function loadFixture(name: string): CelFixture {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, `${name}.json`), "utf8")) as CelFixture;
}

export interface ScratchDatabase {
  url: string;
  pool: RecordsPool;
  drop(): Promise<void>;
}

/** A new database with the `cel` and `cdr` tables on the server of `serverUrl` (a superuser's URL). */
export async function createScratchDatabase(serverUrl: string): Promise<ScratchDatabase> {
  const name = `itgrix_t_${randomBytes(4).toString("hex")}`;
  const admin = new URL(serverUrl);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = openRecordsPool({ url: url.toString(), connectTimeoutMs: 5000, queryTimeoutMs: 10_000 });
  await setupRecordTables(pool, { celTable: "cel", cdrTable: "cdr" });
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A linkedid no other call has (Asterisk's own look: `<seconds>.<n>`). */
export function freshLinkedId(): string {
  return `${1_900_000_000 + Math.floor(Math.random() * 90_000_000)}.${Math.floor(Math.random() * 1000)}`;
}

export interface InsertOptions {
  linkedId: string;
  /** Moves every time by this much (ms). */
  shiftMs?: number;
  /** Leave out LINKEDID_END (a call Asterisk has not finished). */
  withoutEnd?: boolean;
}

/** Writes a captured call's CEL and CDR rows under another linkedid (in every field that names it). */
export async function insertCall(
  pool: RecordsPool,
  records: CallRecords,
  options: InsertOptions,
): Promise<void> {
  const id = new RegExp(`(?<![0-9.])${records.linkedId.replace(/\./g, "\\.")}(?![0-9])`, "g");
  const renamed = JSON.parse(JSON.stringify(records).replace(id, options.linkedId)) as CallRecords;
  const shift = (iso: string | undefined) =>
    iso === undefined ? null : new Date(Date.parse(iso) + (options.shiftMs ?? 0)).toISOString();
  for (const r of renamed.cel) {
    if (options.withoutEnd && r.eventType === "LINKEDID_END") continue;
    await pool.query(
      `INSERT INTO cel (eventtype, eventtime, cid_name, cid_num, cid_dnid, exten, context, channame, appname,
                        appdata, uniqueid, linkedid, peer, extra)
       VALUES ($1, ($2::timestamptz AT TIME ZONE 'UTC'), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [r.eventType, shift(r.eventTime), r.cidName, r.cidNum, r.cidDnid, r.exten, r.context, r.channel,
        r.appName, r.appData, r.uniqueId, r.linkedId, r.peer, r.extra], // prettier-ignore
    );
  }
  for (const r of renamed.cdr) {
    await pool.query(
      `INSERT INTO cdr (start, answer, "end", src, dst, dcontext, channel, dstchannel, lastapp, lastdata,
                        duration, billsec, disposition, userfield, uniqueid, linkedid, sequence)
       VALUES (($1::timestamptz AT TIME ZONE 'UTC'), ($2::timestamptz AT TIME ZONE 'UTC'),
               ($3::timestamptz AT TIME ZONE 'UTC'), $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [shift(r.start), shift(r.answer), shift(r.end), r.src, r.dst, r.dcontext, r.channel, r.dstChannel,
        r.lastApp, r.lastData, r.duration, r.billsec, r.disposition, r.userField, r.uniqueId, r.linkedId,
        r.sequence], // prettier-ignore
    );
  }
}
