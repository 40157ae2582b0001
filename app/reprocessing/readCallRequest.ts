/**
 * What a `/pbx/read_call` request asks for, validated. Pure: query parameters and body in, a request
 * or the parameter that is wrong out.
 *
 *   GET  /pbx/read_call?id=<linkedid>[&id=…]        (or id=a,b)
 *   GET  /pbx/read_call?start_date=<ISO>&end_date=<ISO>
 *   POST /pbx/read_call  ["<linkedid>", …]  |  {"id": [...]}  |  {"start_date": …, "end_date": …}
 */

export type ReadCallRequest = { kind: "ids"; ids: string[] } | { kind: "range"; from: string; to: string };

export type ParsedRequest =
  { ok: true; request: ReadCallRequest } | { ok: false; parameter: string; error: string };

/** A linkedid (`1712345678.42`), a channel uuid, or a server-scoped id (`pbx1-1712345678.42`). */
export const CALL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,149}$/;

/** ISO 8601 with a time zone: `2025-03-01T09:00:00Z`, `2025-03-01T12:00+03:00`, or a date (UTC). */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function parseReadCallRequest(
  query: Record<string, unknown>,
  body: unknown,
  maxIds: number,
): ParsedRequest {
  const fromBody = bodyFields(body);
  if (!fromBody.ok) return { ok: false, parameter: "body", error: fromBody.error };
  const fields = { ...fromBody.fields, ...definedOnly(query) };
  const ids = fields.id;
  const start = fields.start_date;
  const end = fields.end_date;
  if (ids !== undefined && (start !== undefined || end !== undefined)) {
    return bad("id", "give either id or start_date and end_date, not both");
  }
  if (ids !== undefined) return parseIds(ids, maxIds);
  if (start === undefined && end === undefined) {
    return bad("id", "give id=<linkedid> (one or more) or start_date and end_date");
  }
  const from = parseDate(start, "start_date");
  if (!from.ok) return from;
  const to = parseDate(end, "end_date");
  if (!to.ok) return to;
  if (Date.parse(from.iso) >= Date.parse(to.iso)) return bad("end_date", "must be after start_date");
  return { ok: true, request: { kind: "range", from: from.iso, to: to.iso } };
}

function bad(parameter: string, error: string): ParsedRequest & { ok: false } {
  return { ok: false, parameter, error: `${parameter}: ${error}` };
}

function definedOnly(query: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
}

/** A POSTed JSON array of ids, or an object with the same fields as the query. */
function bodyFields(
  body: unknown,
): { ok: true; fields: Record<string, unknown> } | { ok: false; error: string } {
  if (body === undefined || body === null) return { ok: true, fields: {} };
  if (Array.isArray(body)) return { ok: true, fields: { id: body } };
  if (typeof body === "object") {
    const known = ["id", "start_date", "end_date"];
    const unknown = Object.keys(body).filter((k) => !known.includes(k));
    if (unknown.length > 0) {
      return { ok: false, error: `body: unknown field ${unknown[0]} (use id, start_date, end_date)` };
    }
    return { ok: true, fields: body as Record<string, unknown> };
  }
  return { ok: false, error: "body: expected a JSON array of ids or an object" };
}

function parseIds(raw: unknown, maxIds: number): ParsedRequest {
  const list = (Array.isArray(raw) ? raw : [raw]).flatMap((v) =>
    typeof v === "string" ? v.split(",").map((s) => s.trim()) : [v],
  );
  if (list.length === 0) return bad("id", "no call id given");
  const ids: string[] = [];
  for (const id of list) {
    if (typeof id !== "string" || !CALL_ID_PATTERN.test(id)) {
      return bad("id", `not a call id: ${JSON.stringify(id).slice(0, 80)}`);
    }
    if (!ids.includes(id)) ids.push(id);
  }
  if (ids.length > maxIds) return bad("id", `at most ${maxIds} ids per run (cdr.maxCallsPerRun)`);
  return { ok: true, request: { kind: "ids", ids } };
}

function parseDate(
  raw: unknown,
  parameter: string,
): { ok: true; iso: string } | (ParsedRequest & { ok: false }) {
  if (raw === undefined) return bad(parameter, "missing (ISO 8601, e.g. 2025-03-01T00:00:00Z)");
  if (typeof raw !== "string") return bad(parameter, "give one ISO 8601 date");
  const text = raw.trim();
  if (!ISO_DATE_TIME.test(text) && !ISO_DATE.test(text)) {
    return bad(parameter, `not an ISO 8601 date with a time zone: ${JSON.stringify(text).slice(0, 60)}`);
  }
  const ms = Date.parse(ISO_DATE.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms) || !calendarDateExists(text.slice(0, 10))) {
    return bad(parameter, `not a valid date: ${JSON.stringify(text).slice(0, 60)}`);
  }
  return { ok: true, iso: new Date(ms).toISOString() };
}

/** `2025-02-30` parses (as March 2nd) but names no day. */
function calendarDateExists(date: string): boolean {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const back = new Date(Date.UTC(y, m - 1, d));
  return back.getUTCFullYear() === y && back.getUTCMonth() === m - 1 && back.getUTCDate() === d;
}
