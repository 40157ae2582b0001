import type { ParamValue, ResultRef } from "../delivery/types.ts";

/**
 * PHP-style query strings, as the portal parses batch commands (`parse_str`): nested objects and
 * arrays become bracketed keys (`FILTER[UF_PHONE_INNER]=101`, `USER_ID[0]=2`), values are URL-encoded.
 * A `$result[key][CALL_ID]` reference is encoded like any other value: the portal decodes the query
 * string first and resolves references in the decoded values.
 */

/** Writes a `$ref` as the text the portal resolves; the batch builder knows the command keys. */
export type RefWriter = (ref: ResultRef) => string;

export function isResultRef(value: unknown): value is ResultRef {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "$ref" in value;
}

function scalarText(value: string | number | boolean | null): string {
  if (value === null) return "";
  if (typeof value === "boolean") return value ? "1" : "0";
  return String(value);
}

function encodeKey(key: string): string {
  // Brackets stay readable; everything else in a key is encoded.
  return encodeURIComponent(key).replace(/%5B/gi, "[").replace(/%5D/gi, "]");
}

function appendPairs(prefix: string, value: ParamValue, out: string[], writeRef?: RefWriter): void {
  if (isResultRef(value)) {
    if (!writeRef) throw new Error(`a $ref (${prefix}) is only allowed inside a batch`);
    out.push(`${encodeKey(prefix)}=${encodeURIComponent(writeRef(value))}`);
    return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push(`${encodeKey(prefix)}=`); // PHP drops empty arrays; an empty string is the closest
      return;
    }
    value.forEach((item, i) => appendPairs(`${prefix}[${i}]`, item, out, writeRef));
    return;
  }
  if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) appendPairs(`${prefix}[${k}]`, v, out, writeRef);
    return;
  }
  out.push(`${encodeKey(prefix)}=${encodeURIComponent(scalarText(value))}`);
}

/** `{FILTER:{UF_PHONE_INNER:"101"}, USER_ID:[2,3]}` → `FILTER[UF_PHONE_INNER]=101&USER_ID[0]=2&USER_ID[1]=3`. */
export function buildQuery(params: Record<string, ParamValue>, writeRef?: RefWriter): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(params)) appendPairs(k, v, out, writeRef);
  return out.join("&");
}

/** One batch command: `method?query`. */
export function buildCommand(
  method: string,
  params: Record<string, ParamValue>,
  writeRef?: RefWriter,
): string {
  const query = buildQuery(params, writeRef);
  return query === "" ? method : `${method}?${query}`;
}
