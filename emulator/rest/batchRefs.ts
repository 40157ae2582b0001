import type { ParamObject, ParamValue } from "../http/brackets.ts";

export type BatchSections = Record<"result" | "next" | "total" | "time" | "error", Record<string, unknown>>;

const REF = /\$(result|next|total|time|error)((?:\[[^\]]*\])+)/g;
const WHOLE_REF = /^\$(result|next|total|time|error)((?:\[[^\]]*\])+)$/;

function lookup(sections: BatchSections, section: string, path: string): { found: boolean; value?: unknown } {
  const keys = [...path.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] ?? "");
  let node: unknown = sections[section as keyof BatchSections];
  for (const key of keys) {
    if (node === null || typeof node !== "object" || !(key in (node as object))) return { found: false };
    node = (node as Record<string, unknown>)[key];
  }
  return { found: node !== undefined, value: node };
}

function textOf(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  if (typeof value === "boolean") return value ? "1" : "";
  return String(value);
}

/**
 * `$result[key][field]…` references: a value that is exactly one reference gets the raw value (even an
 * array); references inside a longer string are interpolated. Unresolved references stay as written.
 */
function resolveValue(value: ParamValue, sections: BatchSections): ParamValue {
  if (typeof value === "string") {
    const whole = WHOLE_REF.exec(value);
    if (whole) {
      const hit = lookup(sections, whole[1] ?? "", whole[2] ?? "");
      return hit.found ? (hit.value as ParamValue) : value;
    }
    return value.replace(REF, (text, section: string, path: string) => {
      const hit = lookup(sections, section, path);
      return hit.found ? textOf(hit.value) : text;
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, sections));
  if (value !== null && typeof value === "object") return resolveReferences(value, sections);
  return value;
}

export function resolveReferences(params: ParamObject, sections: BatchSections): ParamObject {
  const out: ParamObject = {};
  for (const [key, value] of Object.entries(params)) out[key] = resolveValue(value, sections);
  return out;
}
