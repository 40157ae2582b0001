import type { ParamObject, ParamValue } from "../http/brackets.ts";

/** Parameter coercion: form bodies carry only strings, JSON bodies carry real types. */
export function str(value: ParamValue | undefined): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

export function int(value: ParamValue | undefined): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Math.trunc(Number(value));
  return undefined;
}

export function num(value: ParamValue | undefined): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

/** 0/1 flags: 1, "1", "Y", "true", true → 1. */
export function flag(value: ParamValue | undefined, fallback: 0 | 1): 0 | 1 {
  if (value === undefined || value === null || value === "") return fallback;
  if (value === true || value === 1) return 1;
  if (typeof value === "string") return ["1", "y", "true"].includes(value.toLowerCase()) ? 1 : 0;
  return 0;
}

export function obj(value: ParamValue | undefined): ParamObject {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value : {};
}

export function list(value: ParamValue | undefined): ParamValue[] {
  if (value === undefined || value === null || value === "") return [];
  if (Array.isArray(value)) return value;
  if (typeof value === "object") return Object.values(value);
  return [value];
}

/** A param looked up case-insensitively (`id` or `ID`, `fields` or `FIELDS`). */
export function param(params: ParamObject, name: string): ParamValue | undefined {
  if (name in params) return params[name];
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(params)) if (key.toLowerCase() === lower) return value;
  return undefined;
}
