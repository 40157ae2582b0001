/**
 * `npm run records-setup`: creates Asterisk's `cel` and `cdr` tables (and their indexes) in the
 * database of `cdr.url`, when missing. Idempotent: run it again at will. Asterisk's cdr_pgsql and
 * cel_pgsql read the tables' columns when they load, so reload them afterwards
 * (`asterisk -rx 'module reload cdr_pgsql.so'`, the same for cel_pgsql.so).
 *
 *   --print   print the SQL instead (for an admin who runs it with psql)
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../../core/config/loadConfig.ts";
import { openRecordsPool, setupRecordTables } from "../../core/records/recordsDb.ts";
import { recordTablesScript } from "../../core/records/recordTables.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { print: { type: "boolean", default: false } } });
  const config = loadConfig();
  const names = { celTable: config.cdr.celTable, cdrTable: config.cdr.cdrTable };
  if (values.print) {
    process.stdout.write(recordTablesScript(names));
    return 0;
  }
  if (!config.cdr.url) {
    console.error("records-setup: cdr.url is not configured (ITGRIX__CDR__URL=postgres://…)");
    return 2;
  }
  const pool = openRecordsPool({ ...config.cdr, url: config.cdr.url, max: 1 });
  try {
    await setupRecordTables(pool, names);
  } finally {
    await pool.end();
  }
  console.log(`tables ${names.celTable} and ${names.cdrTable} are ready`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`records-setup: ${err instanceof ConfigError ? err.message : (err as Error).message}`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
