import { readFileSync } from "node:fs";
import { placeholderValues } from "./placeholders.ts";
import { configSchema, type Config } from "./schema.ts";
import { slotAt, unknownKeys, type SchemaSlot } from "./schemaShape.ts";

/**
 * A configuration problem. The message is one line naming the source (file), the dotted key, and the
 * environment variable when the value came from one; startup prints it and exits.
 */
export class ConfigError extends Error {
  constructor(
    message: string,
    /** The dotted key of the first problem (`(file)` for an unreadable file). */
    readonly key: string,
    /** Every problem found, `key: what is wrong` each. */
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

const ENV_PREFIX = "ITGRIX__";

/** The raw configuration with env overrides applied, and which env variable set which dotted key. */
export interface Overridden {
  raw: Record<string, unknown>;
  fromEnv: Map<string, string>;
}

/**
 * `ITGRIX__BITRIX__PLAN=box` sets `bitrix.plan`. Each level is matched case-insensitively against the
 * schema (`ITGRIX__HTTP__ADMINPASSWORD` → `http.adminPassword`); names of groups and DIDs against the
 * keys the file already has, else they are taken in lower case. The value is read as the schema's
 * type at that path: a string field stays a string (`ITGRIX__HTTP__ADMINPASSWORD=12345678` is the
 * password "12345678"), numbers and booleans are converted, objects and arrays are JSON, `null` is
 * null where the schema allows it. A name the schema does not know is an error.
 */
export function applyEnvOverridesTracked(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Overridden {
  const out = structuredClone(raw);
  const fromEnv = new Map<string, string>();
  for (const [name, value] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).split("__").filter(Boolean);
    const slot = path.length > 0 ? slotAt(configSchema, path) : undefined;
    const dotted = path.join(".").toLowerCase();
    if (!slot) throw new ConfigError(`${name}: ${dotted} is not a configuration key`, dotted);
    const keys = setAt(out, slot, parseEnvValue(name, value, slot));
    fromEnv.set(keys.join("."), name);
  }
  return { raw: out, fromEnv };
}

/** The raw configuration with env overrides applied (see applyEnvOverridesTracked). */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Record<string, unknown> {
  return applyEnvOverridesTracked(raw, env).raw;
}

/** Sets the value at the slot's path, creating objects on the way; returns the keys used. */
function setAt(root: Record<string, unknown>, slot: SchemaSlot, value: unknown): string[] {
  const used: string[] = [];
  let node = root;
  slot.keys.forEach((schemaKey, i) => {
    const key = slot.free[i] ? existingKey(node, schemaKey) : schemaKey;
    used.push(key);
    if (i === slot.keys.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (typeof next !== "object" || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  });
  return used;
}

function existingKey(node: Record<string, unknown>, key: string): string {
  return Object.keys(node).find((k) => k.toLowerCase() === key.toLowerCase()) ?? key.toLowerCase();
}

function parseEnvValue(name: string, value: string, slot: SchemaSlot): unknown {
  if (slot.nullable && value === "null") return null;
  switch (slot.kind) {
    case "string":
      return value;
    case "number":
      // Left as the string when it is no number: validation then names the key and the variable.
      return value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : value;
    case "boolean":
      return /^(true|false)$/i.test(value) ? value.toLowerCase() === "true" : value;
    case "json":
      try {
        return JSON.parse(value);
      } catch (err) {
        throw new ConfigError(`${name}: not valid JSON: ${(err as Error).message}`, slot.keys.join("."));
      }
  }
}

/** Problems listed in the one-line message; the rest are counted. */
const LISTED = 5;

/**
 * Validates a raw object: unknown keys, the schema (types, ranges, regexes, cross-checks), then the
 * example's placeholder secrets. Throws one ConfigError naming `source` and every bad key.
 */
export function parseConfig(
  raw: unknown,
  source = "configuration",
  fromEnv: ReadonlyMap<string, string> = new Map(),
): Config {
  const problems: { key: string; message: string }[] = unknownKeys(configSchema, raw).map((u) => ({
    key: u.path,
    message: `unknown key${u.suggestion ? ` (did you mean "${u.suggestion}"?)` : ""}`,
  }));
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues)
      problems.push({ key: issue.path.map(String).join(".") || "(root)", message: issue.message });
  }
  if (problems.length === 0 && result.success) {
    for (const key of placeholderValues(raw)) {
      problems.push({
        key,
        message: 'still the example\'s placeholder (a value with "change-me"): set your own',
      });
    }
  }
  if (problems.length === 0 && result.success) return result.data;
  const lines = problems.map(({ key, message }) => {
    const env = fromEnv.get(key);
    return { key, message: `${message}${env ? ` (set by ${env})` : ""}` };
  });
  throw new ConfigError(
    `${source}: ${oneLine(lines)}`,
    problems[0]!.key,
    lines.map((l) => `${l.key}: ${l.message}`),
  );
}

/** `a, b: same problem; c: other problem; and 2 more` — keys with the same problem share it. */
function oneLine(problems: { key: string; message: string }[]): string {
  const groups: { keys: string[]; message: string }[] = [];
  for (const { key, message } of problems) {
    const last = groups.at(-1);
    if (last?.message === message) last.keys.push(key);
    else groups.push({ keys: [key], message });
  }
  const listed = groups.slice(0, LISTED).map((g) => `${g.keys.join(", ")}: ${g.message}`);
  const rest = groups.length - LISTED;
  return listed.join("; ") + (rest > 0 ? `; and ${rest} more` : "");
}

/**
 * Loads the configuration: the JSON file named by `path` (or ITGRIX_CONFIG), then ITGRIX__* env
 * overrides, then validation. Without a file, defaults and env alone are used.
 */
export function loadConfig(path: string | undefined = process.env.ITGRIX_CONFIG, env = process.env): Config {
  let raw: Record<string, unknown> = {};
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new ConfigError(`cannot read configuration file ${path}: ${(err as Error).message}`, "(file)");
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`${path}: not valid JSON: ${(err as Error).message}`, "(file)");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new ConfigError(`${path}: (root): expected a JSON object`, "(root)");
    raw = parsed as Record<string, unknown>;
  }
  const source = path ?? "configuration (defaults and ITGRIX__ environment)";
  let overridden: Overridden;
  try {
    overridden = applyEnvOverridesTracked(raw, env);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${source}: ${err.message}`, err.key);
    throw err;
  }
  return parseConfig(overridden.raw, source, overridden.fromEnv);
}
