/**
 * Asterisk's records of one call, as the builder (core/records/buildCall.ts) reads them: the CEL rows
 * (the timeline) and the CDR rows (per-leg summaries) of one linkedid. Plain data, so the same rows
 * come from PostgreSQL (recordsReader.ts) or from a fixture file.
 */

/** CEL event names as cel_pgsql writes them into a text `eventtype` column. */
export type CelEventType =
  | "CHAN_START"
  | "CHAN_END"
  | "HANGUP"
  | "ANSWER"
  | "APP_START"
  | "APP_END"
  | "BRIDGE_ENTER"
  | "BRIDGE_EXIT"
  | "PARK_START"
  | "PARK_END"
  | "BLINDTRANSFER"
  | "ATTENDEDTRANSFER"
  | "USER_DEFINED"
  | "LINKEDID_END"
  | "PICKUP"
  | "FORWARD"
  | "LOCAL_OPTIMIZE"
  | "LOCAL_OPTIMIZE_BEGIN"
  | "STREAM_BEGIN"
  | "STREAM_END"
  | "DTMF";

export interface CelRow {
  /** The table's own id: the order of rows written in the same microsecond. */
  id: number;
  /** Kept as written: an unknown name (a newer Asterisk, a user-defined event) is ignored, not fatal. */
  eventType: CelEventType | string;
  /** ISO-8601, UTC, milliseconds. */
  eventTime: string;
  cidName: string;
  cidNum: string;
  cidDnid: string;
  exten: string;
  context: string;
  /** Channel name, e.g. `PJSIP/trunk-00000012`. */
  channel: string;
  appName: string;
  appData: string;
  uniqueId: string;
  linkedId: string;
  /** Bridge events: the other channels in the bridge; otherwise often empty. */
  peer: string;
  /** JSON text (HANGUP cause, bridge id, transfer target, DTMF digit …) or empty. */
  extra: string;
}

export interface CdrRow {
  /** ISO-8601 UTC (whole seconds), absent when the leg never reached that point. */
  start?: string;
  answer?: string;
  end?: string;
  src: string;
  dst: string;
  dcontext: string;
  channel: string;
  dstChannel: string;
  lastApp: string;
  lastData: string;
  duration: number;
  billsec: number;
  disposition: string;
  /** Free text a dialplan may set (`CDR(userfield)`), e.g. a recording path. */
  userField: string;
  uniqueId: string;
  linkedId: string;
  sequence: number;
}

/** Everything Asterisk recorded about one call (one linkedid). */
export interface CallRecords {
  linkedId: string;
  /** In the order Asterisk wrote them (time, then id). */
  cel: CelRow[];
  cdr: CdrRow[];
}
