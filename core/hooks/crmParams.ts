import type { CrmParam, CrmParams } from "./api.ts";

/**
 * Customizations' command parameters are copied and checked before they reach the journal and the
 * batcher: JSON-like data only (a Date, a function or undefined inside is a bug in the hook, and the
 * batch encoder would write it wrongly or not at all).
 */
export function checkCrmParams(params: unknown): CrmParams {
  if (!isPlainObject(params)) throw new TypeError("ctx.crm.call: params must be a plain object");
  return copyParam(params, "params") as CrmParams;
}

function copyParam(value: unknown, path: string): CrmParam {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`ctx.crm.call: ${path} is not a finite number`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => copyParam(item, `${path}[${i}]`));
  if (isPlainObject(value)) {
    const out: Record<string, CrmParam> = {};
    for (const [key, item] of Object.entries(value)) out[key] = copyParam(item, `${path}.${key}`);
    return out;
  }
  throw new TypeError(`ctx.crm.call: ${path} is ${describeType(value)}, not JSON data`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describeType(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "object") return `a ${(value as object).constructor?.name ?? "object"}`;
  return `a ${typeof value}`;
}
