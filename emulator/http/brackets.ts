/**
 * PHP-style bracket keys (`FILTER[UF_PHONE_INNER]=101`, `USER_ID[]=2`), as Bitrix24 reads form bodies,
 * query strings and the `method?query` strings of batch commands.
 */
export type ParamValue = string | number | boolean | null | ParamValue[] | { [key: string]: ParamValue };
export type ParamObject = { [key: string]: ParamValue };

function splitKey(rawKey: string): string[] {
  const open = rawKey.indexOf("[");
  if (open <= 0) return [rawKey];
  const parts = [rawKey.slice(0, open)];
  const re = /\[([^\]]*)\]/g;
  let match: RegExpExecArray | null;
  while ((match = re.exec(rawKey.slice(open))) !== null) parts.push(match[1] ?? "");
  return parts;
}

function assign(target: Record<string, unknown>, path: string[], value: string): void {
  let node = target;
  for (let i = 0; i < path.length; i++) {
    let key = path[i] as string;
    if (key === "") key = String(Object.keys(node).length);
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (typeof next !== "object" || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
}

/** PHP arrays with keys 0..n-1 become JS arrays, as json_encode would print them. */
export function listify(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(listify);
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const sequential = entries.length > 0 && entries.every(([k], i) => k === String(i));
  if (sequential) return entries.map(([, v]) => listify(v));
  return Object.fromEntries(entries.map(([k, v]) => [k, listify(v)]));
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, " "));
  } catch {
    return part;
  }
}

export function parseBracketQuery(query: string): ParamObject {
  const root: Record<string, unknown> = {};
  for (const pair of query.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : decode(pair.slice(eq + 1));
    assign(root, splitKey(key), value);
  }
  return listify(root) as ParamObject;
}

function flatten(prefix: string, value: unknown, out: string[]): void {
  if (value === undefined) return;
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(`${prefix}[${k}]`, v, out);
    return;
  }
  const text = value === null ? "" : typeof value === "boolean" ? (value ? "1" : "0") : String(value);
  out.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(text)}`);
}

/** The inverse: nested objects → `a[b][c]=v&…`, every value a string (as Bitrix24 posts events). */
export function encodeBrackets(params: Record<string, unknown>): string {
  const out: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(`${key}[${k}]`, v, out);
    } else flatten(key, value, out);
  }
  return out.join("&");
}
