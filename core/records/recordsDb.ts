import pg from "pg";
import { recordTablesSql, type RecordTableNames } from "./recordTables.ts";

/**
 * The connection to the PostgreSQL database Asterisk writes its CDR and CEL into (`cdr.url`). Reading
 * only, except for the idempotent table setup an admin runs once (`npm run records-setup`).
 */

export type RecordsPool = pg.Pool;

export interface RecordsPoolOptions {
  url: string;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  /** Connections at most (a re-processing run reads one call at a time per connection). */
  max?: number;
}

export function openRecordsPool(options: RecordsPoolOptions): RecordsPool {
  const pool = new pg.Pool({
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeoutMs,
    query_timeout: options.queryTimeoutMs,
    max: options.max ?? 4,
    application_name: "itgrix",
  });
  // An idle connection the server dropped must not crash the process; the next query reconnects.
  pool.on("error", () => undefined);
  return pool;
}

/** Creates the `cel` and `cdr` tables and their indexes when missing, in one transaction. */
export async function setupRecordTables(pool: RecordsPool, names: RecordTableNames): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    // Two setups at once (two app hosts, a test and the testbed) must not race on CREATE … IF NOT EXISTS.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('itgrix-record-tables'))");
    for (const statement of recordTablesSql(names)) await client.query(statement);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
