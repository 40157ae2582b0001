/**
 * The `cel` and `cdr` tables Asterisk's `cel_pgsql` and `cdr_pgsql` write into. Both modules read the
 * table's columns once, when they load, and fill the columns whose names they know (the CEL and CDR
 * field names), so the tables must exist before Asterisk loads them. `id` is ours: a stable order for
 * rows with the same time.
 *
 * Text columns are `NOT NULL DEFAULT ''`: the modules write an empty string for a field without a value
 * and `DEFAULT` for a column they do not know. Times are `timestamp` (without time zone), written in
 * UTC by the configurations in `cdr-cel-config/` (`usegmtime`, `timezone`); `cdr.timeZone` says
 * otherwise for tables an existing PBX fills with local times.
 */

export interface RecordTableNames {
  celTable: string;
  cdrTable: string;
}

/** `cel` or `schema.cel`: letters, digits and `_` only, so a name can never carry SQL. */
export const TABLE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/** `UTC`, `Europe/Moscow`, `+03:00`: a name PostgreSQL knows, and never anything that could carry SQL. */
export const TIME_ZONE_PATTERN = /^[A-Za-z0-9_/+:-]{1,64}$/;

export function quotedTable(name: string): string {
  if (!TABLE_NAME_PATTERN.test(name)) throw new Error(`not a table name: ${JSON.stringify(name)}`);
  return name
    .split(".")
    .map((part) => `"${part}"`)
    .join(".");
}

/** The index name for `table` (schema-less, as PostgreSQL puts an index next to its table). */
function indexName(table: string, suffix: string): string {
  return `"${table.split(".").at(-1)}_${suffix}"`;
}

const text = (name: string, size: number) => `${name} varchar(${size}) NOT NULL DEFAULT ''`;

/** Idempotent DDL: every statement may run again on tables that already exist. */
export function recordTablesSql(names: RecordTableNames): string[] {
  const cel = quotedTable(names.celTable);
  const cdr = quotedTable(names.cdrTable);
  return [
    `CREATE TABLE IF NOT EXISTS ${cel} (
  id bigserial PRIMARY KEY,
  eventtype varchar(30) NOT NULL,
  eventtime timestamp NOT NULL,
  ${text("userdeftype", 255)},
  ${text("cid_name", 80)},
  ${text("cid_num", 80)},
  ${text("cid_ani", 80)},
  ${text("cid_rdnis", 80)},
  ${text("cid_dnid", 80)},
  ${text("exten", 80)},
  ${text("context", 80)},
  ${text("channame", 80)},
  ${text("appname", 80)},
  appdata text NOT NULL DEFAULT '',
  amaflags integer NOT NULL DEFAULT 0,
  ${text("accountcode", 80)},
  ${text("peeraccount", 80)},
  ${text("uniqueid", 150)},
  ${text("linkedid", 150)},
  ${text("userfield", 255)},
  peer text NOT NULL DEFAULT '',
  extra text NOT NULL DEFAULT ''
)`,
    `CREATE INDEX IF NOT EXISTS ${indexName(names.celTable, "linkedid_idx")} ON ${cel} (linkedid)`,
    `CREATE INDEX IF NOT EXISTS ${indexName(names.celTable, "eventtime_idx")} ON ${cel} (eventtime)`,
    `CREATE TABLE IF NOT EXISTS ${cdr} (
  id bigserial PRIMARY KEY,
  ${text("accountcode", 80)},
  ${text("src", 80)},
  ${text("dst", 80)},
  ${text("dcontext", 80)},
  ${text("clid", 80)},
  ${text("channel", 80)},
  ${text("dstchannel", 80)},
  ${text("lastapp", 80)},
  lastdata text NOT NULL DEFAULT '',
  start timestamp,
  answer timestamp,
  "end" timestamp,
  duration integer NOT NULL DEFAULT 0,
  billsec integer NOT NULL DEFAULT 0,
  ${text("disposition", 45)},
  ${text("amaflags", 45)},
  ${text("userfield", 255)},
  ${text("uniqueid", 150)},
  ${text("linkedid", 150)},
  ${text("peeraccount", 80)},
  sequence integer NOT NULL DEFAULT 0
)`,
    `CREATE INDEX IF NOT EXISTS ${indexName(names.cdrTable, "linkedid_idx")} ON ${cdr} (linkedid)`,
    `CREATE INDEX IF NOT EXISTS ${indexName(names.cdrTable, "start_idx")} ON ${cdr} (start)`,
  ];
}

/** The same DDL as one script, for an admin who runs it with psql. */
export function recordTablesScript(names: RecordTableNames): string {
  return recordTablesSql(names)
    .map((statement) => `${statement};\n`)
    .join("\n");
}
