import { readFileSync } from "node:fs";
import { configSchema, type Config } from "./schema.ts";

/** A configuration problem, with the dotted key that is wrong. Startup prints it and exits. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * `ITGRIX__BITRIX__PLAN=box` sets `bitrix.plan`. Keys are matched case-insensitively against the
 * object they land in, so camelCase keys can be set from env (`ITGRIX__HTTP__ADMINPASSWORD`). Values
 * are parsed as JSON when they look like JSON (numbers, booleans, objects), else kept as strings.
 */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Record<string, unknown> {
  const out = structuredClone(raw);
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("ITGRIX__") || value === undefined) continue;
    const path = name.slice("ITGRIX__".length).split("__").filter(Boolean);
    let node: Record<string, unknown> = out;
    for (let i = 0; i < path.length; i++) {
      const wanted = path[i]!.toLowerCase();
      const existing = Object.keys(node).find((k) => k.toLowerCase() === wanted) ?? camelKey(wanted);
      if (i === path.length - 1) {
        node[existing] = parseEnvValue(value);
      } else {
        const next = node[existing];
        node[existing] = typeof next === "object" && next !== null ? next : {};
        node = node[existing] as Record<string, unknown>;
      }
    }
  }
  return out;
}

/** Every key name the schema knows, so env names (upper case) map back to camelCase keys. */
const SCHEMA_KEYS: readonly string[] = [...collectSchemaKeys(configSchema)];

function collectSchemaKeys(schema: unknown, out = new Set<string>()): Set<string> {
  const def = (schema as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
  if (!def) return out;
  if (def.type === "object") {
    for (const [key, child] of Object.entries(def.shape as Record<string, unknown>)) {
      out.add(key);
      collectSchemaKeys(child, out);
    }
  }
  const options = (def.options as unknown[] | undefined) ?? [];
  for (const inner of [def.innerType, def.in, def.out, def.element, def.valueType, ...options]) {
    if (inner) collectSchemaKeys(inner, out);
  }
  return out;
}

function camelKey(lower: string): string {
  return SCHEMA_KEYS.find((k) => k.toLowerCase() === lower) ?? lower;
}

function parseEnvValue(value: string): unknown {
  if (/^(true|false|null|-?\d+(\.\d+)?)$/.test(value) || /^[[{]/.test(value)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

/** Validates a raw object; throws ConfigError naming the first bad key. */
export function parseConfig(raw: unknown, source = "configuration"): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = issue.path.map(String).join(".") || "(root)";
  throw new ConfigError(`${source}: ${key}: ${issue.message}`, key);
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
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`${path}: not valid JSON: ${(err as Error).message}`, "(file)");
    }
  }
  return parseConfig(applyEnvOverrides(raw, env), path ?? "configuration");
}
