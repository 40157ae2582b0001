import pg from "pg";
import { openRecordsPool, setupRecordTables } from "../core/records/recordsDb.ts";
import { asteriskCli } from "./asteriskProcess.ts";
import { postgresUrl } from "./postgresProcess.ts";
import { say } from "./run.ts";
import type { TestbedSettings } from "./settings.ts";

/**
 * The testbed's records database: created when missing, with the connector's own `cel` and `cdr`
 * tables (the same setup an admin runs with `npm run records-setup`).
 */
export async function prepareRecordsDatabase(settings: TestbedSettings): Promise<void> {
  const admin = new pg.Client({ connectionString: postgresUrl({ ...settings, pgDatabase: "postgres" }) });
  await admin.connect();
  try {
    const found = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [settings.pgDatabase]);
    if (found.rowCount === 0) {
      say(`creating database ${settings.pgDatabase}`);
      await admin.query(`CREATE DATABASE "${settings.pgDatabase}"`);
    }
  } finally {
    await admin.end();
  }
  const pool = openRecordsPool({
    url: postgresUrl(settings),
    connectTimeoutMs: 5000,
    queryTimeoutMs: 30_000,
  });
  try {
    await setupRecordTables(pool, { celTable: "cel", cdrTable: "cdr" });
  } finally {
    await pool.end();
  }
}

/**
 * cdr_pgsql and cel_pgsql read their table's columns when they load; loaded while the database was
 * down, they write nothing. Loading them again (not `reload`, which skips unchanged files) fixes that.
 */
export function reloadRecordModules(settings: TestbedSettings): void {
  for (const module of ["cdr_pgsql.so", "cel_pgsql.so"]) {
    asteriskCli(settings, `module unload ${module}`);
    asteriskCli(settings, `module load ${module}`);
  }
}

/** Whether both modules run in the testbed's Asterisk. */
export function recordModulesLoaded(settings: TestbedSettings): boolean {
  const shown = asteriskCli(settings, "module show like pgsql");
  return ["cdr_pgsql.so", "cel_pgsql.so"].every((m) => new RegExp(`${m}\\s.*Running`).test(shown));
}
