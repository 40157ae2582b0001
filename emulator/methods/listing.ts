import type { ParamObject, ParamValue } from "../http/brackets.ts";
import { listify } from "../http/brackets.ts";
import { phoneKey } from "./phones.ts";
import { int, list, obj, param } from "./params.ts";

export const PAGE_SIZE = 50;

export interface Page {
  result: unknown[];
  total: number;
  next?: number;
}

type Operator = "=" | "!" | "%" | "!%" | "@" | "!@" | ">" | "<" | ">=" | "<=";

function splitFilterKey(key: string): { op: Operator; field: string } {
  const match = /^(!@|!%|!=|>=|<=|=|!|%|@|>|<)?(.+)$/.exec(key);
  const raw = match?.[1] ?? "=";
  return { op: (raw === "!=" ? "!" : raw) as Operator, field: (match?.[2] ?? key).toUpperCase() };
}

function scalarText(value: unknown): string {
  if (value === true) return "Y";
  if (value === false) return "N";
  if (value === null || value === undefined) return "";
  return String(value);
}

function filterText(value: ParamValue, fieldIsBoolean: boolean): string {
  if (!fieldIsBoolean) return scalarText(value);
  return ["y", "1", "true"].includes(String(value).toLowerCase()) ? "Y" : "N";
}

/** Field values to compare: multifields (PHONE) compare by their digits, everything else as text. */
function candidates(record: Record<string, unknown>, field: string): string[] {
  const value = record[field];
  if (Array.isArray(value)) return value.map((v) => phoneKey(String((v as { VALUE?: unknown }).VALUE ?? v)));
  return [scalarText(value)];
}

function compare(op: Operator, actual: string, wanted: string[]): boolean {
  const numeric = (a: string, b: string): number => Number(a) - Number(b);
  switch (op) {
    case "=":
    case "@":
      return wanted.includes(actual);
    case "!":
    case "!@":
      return !wanted.includes(actual);
    case "%":
      return wanted.some((w) => actual.toLowerCase().includes(w.toLowerCase()));
    case "!%":
      return !wanted.some((w) => actual.toLowerCase().includes(w.toLowerCase()));
    case ">":
      return numeric(actual, wanted[0] ?? "") > 0;
    case "<":
      return numeric(actual, wanted[0] ?? "") < 0;
    case ">=":
      return numeric(actual, wanted[0] ?? "") >= 0;
    case "<=":
      return numeric(actual, wanted[0] ?? "") <= 0;
  }
}

export function matchesFilter(record: Record<string, unknown>, filter: ParamObject): boolean {
  for (const [key, rawWanted] of Object.entries(filter)) {
    const { op, field } = splitFilterKey(key);
    const isBoolean = typeof record[field] === "boolean";
    const isMulti = Array.isArray(record[field]);
    const wanted = list(rawWanted).map((w) => (isMulti ? phoneKey(String(w)) : filterText(w, isBoolean)));
    if (wanted.length === 0) wanted.push("");
    const negative = op.startsWith("!");
    const values = candidates(record, field);
    const hit = negative
      ? values.every((v) => compare(op, v, wanted))
      : values.some((v) => compare(op, v, wanted));
    if (!hit) return false;
  }
  return true;
}

function sortRecords<T extends Record<string, unknown>>(items: T[], order: ParamObject): T[] {
  const [field, direction] = Object.entries(order)[0] ?? ["ID", "ASC"];
  const sign = String(direction).toUpperCase() === "DESC" ? -1 : 1;
  const key = field.toUpperCase();
  return [...items].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    const diff =
      typeof x === "number" && typeof y === "number" ? x - y : String(x ?? "").localeCompare(String(y ?? ""));
    return diff * sign;
  });
}

/** The list methods' common shape: FILTER/filter, ORDER/order, start; pages of 50 with next/total. */
export function listPage<T extends Record<string, unknown>>(
  items: Iterable<T>,
  params: ParamObject,
  present: (item: T) => unknown,
  extraFilter: ParamObject = {},
): Page {
  const filter = { ...obj(param(params, "filter")), ...extraFilter };
  const order = obj(param(params, "order") ?? param(params, "sort"));
  const matching = sortRecords(
    [...items].filter((item) => matchesFilter(item, filter)),
    order,
  );
  const start = Math.max(0, int(param(params, "start")) ?? 0);
  const slice = matching.slice(start, start + PAGE_SIZE).map(present);
  const page: Page = { result: slice, total: matching.length };
  if (start + PAGE_SIZE < matching.length) page.next = start + PAGE_SIZE;
  return page;
}

/** Bitrix24 prints numbers of entity records as strings; booleans and nulls stay as they are. */
export function stringifyNumbers(value: unknown): unknown {
  if (typeof value === "number") return String(value);
  if (Array.isArray(value)) return value.map(stringifyNumbers);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringifyNumbers(v)]));
  }
  return value;
}

export { listify };
