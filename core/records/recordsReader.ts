import type { CallRecords, CdrRow, CelRow } from "./callRecords.ts";
import { quotedTable, TIME_ZONE_PATTERN, type RecordTableNames } from "./recordTables.ts";
import type { RecordsPool } from "./recordsDb.ts";

export interface RecordsReaderOptions extends RecordTableNames {
  /** The zone the `timestamp` (without time zone) columns are written in (`cdr.timeZone`). */
  timeZone: string;
}

/**
 * Reads Asterisk's CEL and CDR rows from PostgreSQL. Times come back as UTC instants whatever the
 * column type: `timestamptz` as it is, `timestamp` (or text) read in `timeZone`.
 */
export class RecordsReader {
  private timeExpressions?: Promise<TimeExpressions>;

  constructor(
    private readonly pool: RecordsPool,
    private readonly options: RecordsReaderOptions,
  ) {
    if (!TIME_ZONE_PATTERN.test(options.timeZone)) {
      throw new Error(`not a time zone name: ${JSON.stringify(options.timeZone)}`);
    }
  }

  /** The CEL and CDR rows of one call; empty lists when Asterisk has none. */
  async callRecords(linkedId: string): Promise<CallRecords> {
    const time = await this.times();
    const cel = quotedTable(this.options.celTable);
    const cdr = quotedTable(this.options.cdrTable);
    const [celRows, cdrRows] = await Promise.all([
      this.pool.query(
        `SELECT id, eventtype, ${time.cel} AS at, cid_name, cid_num, cid_dnid, exten, context, channame,
                appname, appdata, uniqueid, linkedid, peer, extra
           FROM ${cel} WHERE linkedid = $1 ORDER BY eventtime, id`,
        [linkedId],
      ),
      this.pool.query(
        `SELECT ${time.cdr("start")} AS start_at, ${time.cdr("answer")} AS answer_at,
                ${time.cdr('"end"')} AS end_at, src, dst, dcontext, channel, dstchannel, lastapp,
                lastdata, duration, billsec, disposition, userfield, uniqueid, linkedid, sequence
           FROM ${cdr} WHERE linkedid = $1 ORDER BY start, sequence`,
        [linkedId],
      ),
    ]);
    return { linkedId, cel: celRows.rows.map(celRow), cdr: cdrRows.rows.map(cdrRow) };
  }

  /**
   * Calls that started in [from, to): the linkedids whose first channel (uniqueid = linkedid) was
   * created then, oldest first, at most `limit`.
   */
  async linkedIdsStartedBetween(from: Date, to: Date, limit: number): Promise<string[]> {
    const cel = quotedTable(this.options.celTable);
    const { celBound } = await this.times();
    const { rows } = await this.pool.query<{ linkedid: string }>(
      `SELECT linkedid FROM ${cel}
        WHERE eventtype = 'CHAN_START' AND uniqueid = linkedid
          AND eventtime >= ${celBound("$1")} AND eventtime < ${celBound("$2")}
        ORDER BY eventtime, id LIMIT $3`,
      [from.toISOString(), to.toISOString(), limit],
    );
    return rows.map((r) => r.linkedid);
  }

  /** The SQL that turns each time column into a timestamptz (asked once per reader). */
  private times(): Promise<TimeExpressions> {
    this.timeExpressions ??= (async () => {
      const [celType, cdrType] = await Promise.all([
        this.columnType(this.options.celTable, "eventtime"),
        this.columnType(this.options.cdrTable, "start"),
      ]);
      return {
        cel: asInstant("eventtime", celType, this.options.timeZone),
        cdr: (column: string) => asInstant(column, cdrType, this.options.timeZone),
        celBound: (param: string) => asColumnValue(param, celType, this.options.timeZone),
      };
    })().catch((err: unknown) => {
      this.timeExpressions = undefined;
      throw err;
    });
    return this.timeExpressions;
  }

  private async columnType(table: string, column: string): Promise<string> {
    const [schema, name] = table.includes(".") ? table.split(".") : [undefined, table];
    const { rows } = await this.pool.query<{ data_type: string }>(
      `SELECT data_type FROM information_schema.columns
        WHERE table_name = $1 AND column_name = $2 AND table_schema = coalesce($3, current_schema())`,
      [name, column, schema ?? null],
    );
    if (!rows[0]) throw new Error(`table ${table} has no column ${column} (run npm run records-setup)`);
    return rows[0].data_type;
  }
}

interface TimeExpressions {
  /** CEL `eventtime` as a timestamptz. */
  cel: string;
  /** A CDR time column as a timestamptz. */
  cdr: (column: string) => string;
  /** A timestamptz query parameter as a value comparable with CEL `eventtime` (so its index is used). */
  celBound: (param: string) => string;
}

function asInstant(column: string, dataType: string, timeZone: string): string {
  if (dataType === "timestamp with time zone") return column;
  if (/^(integer|bigint|numeric|double precision|real)$/.test(dataType)) return `to_timestamp(${column})`;
  return `(${column}::timestamp AT TIME ZONE '${timeZone}')`;
}

function asColumnValue(param: string, dataType: string, timeZone: string): string {
  if (dataType === "timestamp with time zone") return `${param}::timestamptz`;
  if (/^(integer|bigint|numeric|double precision|real)$/.test(dataType))
    return `extract(epoch from ${param}::timestamptz)`;
  return `(${param}::timestamptz AT TIME ZONE '${timeZone}')`;
}

type Row = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === "string" ? v : v == null ? "" : String(v));
const iso = (v: unknown): string | undefined => (v instanceof Date ? v.toISOString() : undefined);

function celRow(r: Row): CelRow {
  return {
    id: Number(r.id),
    eventType: str(r.eventtype),
    eventTime: iso(r.at) ?? "",
    cidName: str(r.cid_name),
    cidNum: str(r.cid_num),
    cidDnid: str(r.cid_dnid),
    exten: str(r.exten),
    context: str(r.context),
    channel: str(r.channame),
    appName: str(r.appname),
    appData: str(r.appdata),
    uniqueId: str(r.uniqueid),
    linkedId: str(r.linkedid),
    peer: str(r.peer),
    extra: str(r.extra),
  };
}

function cdrRow(r: Row): CdrRow {
  const row: CdrRow = {
    src: str(r.src),
    dst: str(r.dst),
    dcontext: str(r.dcontext),
    channel: str(r.channel),
    dstChannel: str(r.dstchannel),
    lastApp: str(r.lastapp),
    lastData: str(r.lastdata),
    duration: Number(r.duration ?? 0),
    billsec: Number(r.billsec ?? 0),
    disposition: str(r.disposition),
    userField: str(r.userfield),
    uniqueId: str(r.uniqueid),
    linkedId: str(r.linkedid),
    sequence: Number(r.sequence ?? 0),
  };
  const start = iso(r.start_at);
  const answer = iso(r.answer_at);
  const end = iso(r.end_at);
  if (start) row.start = start;
  if (answer) row.answer = answer;
  if (end) row.end = end;
  return row;
}
