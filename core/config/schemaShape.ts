/**
 * Reads the configuration schema's shape (zod's own definitions), so that what the schema knows —
 * its keys and the type at each path — drives the checks zod does not do for us: unknown keys with
 * their path (a typo is never silently ignored) and the type of an environment override. Keys added
 * to the schema are covered without touching this file.
 */

interface Def {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  in?: unknown;
  element?: unknown;
  valueType?: unknown;
  options?: unknown[];
  discriminator?: string;
  values?: unknown[];
}

function defOf(schema: unknown): Def | undefined {
  return (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;
}

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "catch", "nonoptional"]);

/** The schema under optional/default/nullable/… wrappers (and the input side of a pipe). */
function unwrap(schema: unknown): { def: Def | undefined; nullable: boolean } {
  let current = schema;
  let nullable = false;
  for (let def = defOf(current); def; def = defOf(current)) {
    if (def.type === "nullable") nullable = true;
    if (WRAPPERS.has(def.type)) current = def.innerType;
    else if (def.type === "pipe") current = def.in;
    else return { def, nullable };
  }
  return { def: undefined, nullable };
}

export interface UnknownKey {
  /** Dotted path of the unknown key, e.g. `crm.cardmode`. */
  path: string;
  /** A known key of the same object it may be a typo of. */
  suggestion?: string;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Every key of `raw` the schema does not know, depth first, in the order of the input. */
export function unknownKeys(schema: unknown, raw: unknown, path: string[] = []): UnknownKey[] {
  const { def } = unwrap(schema);
  if (!def) return [];
  if (def.type === "object" && isPlainObject(raw)) {
    const shape = def.shape ?? {};
    return Object.entries(raw).flatMap(([key, value]) => {
      if (key in shape) return unknownKeys(shape[key], value, [...path, key]);
      const suggestion = closestKey(key, Object.keys(shape));
      return [{ path: [...path, key].join("."), ...(suggestion ? { suggestion } : {}) }];
    });
  }
  if (def.type === "record" && isPlainObject(raw))
    return Object.entries(raw).flatMap(([key, value]) => unknownKeys(def.valueType, value, [...path, key]));
  if (def.type === "array" && Array.isArray(raw))
    return raw.flatMap((item, i) => unknownKeys(def.element, item, [...path, String(i)]));
  if (def.type === "union") return unknownKeysOfUnion(def, raw, path);
  return [];
}

function unknownKeysOfUnion(def: Def, raw: unknown, path: string[]): UnknownKey[] {
  const options = def.options ?? [];
  if (def.discriminator && isPlainObject(raw)) {
    const chosen = options.find((o) => literalsOf(o, def.discriminator!).includes(raw[def.discriminator!]));
    // No option matches the discriminator: zod names that problem itself.
    return chosen ? unknownKeys(chosen, raw, path) : [];
  }
  const perOption = options.map((o) => unknownKeys(o, raw, path));
  return perOption.find((found) => found.length === 0) ?? perOption[0] ?? [];
}

function literalsOf(option: unknown, key: string): unknown[] {
  const shape = unwrap(option).def?.shape ?? {};
  return unwrap(shape[key]).def?.values ?? [];
}

/** A key that differs only in case, or by at most two edits (`cardmod` → `cardMode`). */
function closestKey(key: string, known: string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase) return sameCase;
  let best: { key: string; distance: number } | undefined;
  for (const k of known) {
    const distance = editDistance(lower, k.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { key: k, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** How an environment value is read for the schema type at its path. */
export type EnvValueKind = "string" | "number" | "boolean" | "json";

export interface SchemaSlot {
  /** The path with the schema's own spelling of each object key. */
  keys: string[];
  /** Per key: true for a key of a record (a group name, a DID), which the schema does not spell. */
  free: boolean[];
  kind: EnvValueKind;
  /** The slot accepts `null` (e.g. `bitrix.rateLimit`). */
  nullable: boolean;
}

/**
 * The schema slot at `path`, object keys matched case-insensitively (environment names are upper
 * case); undefined when the schema has no such key. Inside a union, the first option that has the
 * key is followed.
 */
export function slotAt(schema: unknown, path: readonly string[]): SchemaSlot | undefined {
  const keys: string[] = [];
  const free: boolean[] = [];
  let current = schema;
  for (const segment of path) {
    const next = childOf(current, segment);
    if (!next) return undefined;
    keys.push(next.key);
    free.push(next.free ?? false);
    current = next.schema;
  }
  const { def, nullable } = unwrap(current);
  return { keys, free, kind: kindOf(def), nullable };
}

interface Child {
  key: string;
  schema: unknown;
  free?: boolean;
}

function childOf(schema: unknown, segment: string): Child | undefined {
  const { def } = unwrap(schema);
  if (!def) return undefined;
  if (def.type === "object") {
    const shape = def.shape ?? {};
    const key = Object.keys(shape).find((k) => k.toLowerCase() === segment.toLowerCase());
    return key === undefined ? undefined : { key, schema: shape[key] };
  }
  if (def.type === "record") return { key: segment, schema: def.valueType, free: true };
  if (def.type === "array" && /^\d+$/.test(segment)) return { key: segment, schema: def.element, free: true };
  if (def.type === "union") {
    for (const option of def.options ?? []) {
      const found = childOf(option, segment);
      if (found) return found;
    }
  }
  return undefined;
}

function kindOf(def: Def | undefined): EnvValueKind {
  switch (def?.type) {
    case "number":
    case "int":
    case "bigint":
      return "number";
    case "boolean":
      return "boolean";
    case "object":
    case "record":
    case "array":
    case "tuple":
      return "json";
    case "union": {
      // A value that may be a string stays one; a union of objects (bitrix.auth) is JSON.
      const kinds = (def.options ?? []).map((o) => kindOf(unwrap(o).def));
      return kinds.includes("string") ? "string" : (kinds[0] ?? "string");
    }
    case "literal":
      return literalKind(def.values?.[0]);
    default:
      return "string";
  }
}

function literalKind(value: unknown): EnvValueKind {
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "boolean";
  return "string";
}
