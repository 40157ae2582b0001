import type { Customization } from "../api.ts";
import { HOOK_POINT_NAMES, isHookPointName } from "../points.ts";

/**
 * A loaded module's default export checked at run time (a JavaScript module is not type-checked): an
 * object with `hooks` (known points → functions) and optionally `description`, `parseOptions`,
 * `setup`. A misspelt point or key is an error, not a hook that silently never runs.
 */
export function customizationOf(exports: Record<string, unknown>): Customization<unknown> {
  const value = exports.default;
  if (typeof value !== "object" || value === null) {
    throw new Error("the module has no default export object (export default { hooks: { … } })");
  }
  const c = value as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!["description", "parseOptions", "setup", "hooks"].includes(key)) {
      throw new Error(`unknown key "${key}" in the default export (description, parseOptions, setup, hooks)`);
    }
  }
  if (c.description !== undefined && typeof c.description !== "string")
    throw new Error("description must be a string");
  for (const fn of ["parseOptions", "setup"] as const) {
    if (c[fn] !== undefined && typeof c[fn] !== "function") throw new Error(`${fn} must be a function`);
  }
  if (typeof c.hooks !== "object" || c.hooks === null)
    throw new Error("hooks must be an object of hook points");
  for (const [point, fn] of Object.entries(c.hooks)) {
    if (!isHookPointName(point)) throw new Error(`unknown hook point "${point}"${suggestion(point)}`);
    if (typeof fn !== "function") throw new Error(`hooks.${point} must be a function (ctx, next) => …`);
  }
  return c as unknown as Customization<unknown>;
}

function suggestion(name: string): string {
  const lower = name.toLowerCase();
  const near = HOOK_POINT_NAMES.find(
    (p) => p.toLowerCase() === lower || distance(p.toLowerCase(), lower) <= 2,
  );
  return near ? ` (did you mean "${near}"?)` : "";
}

/** Levenshtein distance, for the "did you mean" of a misspelt point. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
