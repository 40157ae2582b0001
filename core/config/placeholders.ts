/**
 * `config/itgrix.example.json` marks every value an installation must replace (passwords, the signing
 * key, the webhook secret, the application token) with `change-me`. A configuration that still holds
 * one would run with a secret published in this repository, so it is refused at start.
 */
export const PLACEHOLDER_MARK = "change-me";

/** Dotted keys of every string value that still carries the example's placeholder mark. */
export function placeholderValues(raw: unknown, path: string[] = []): string[] {
  if (typeof raw === "string") return raw.toLowerCase().includes(PLACEHOLDER_MARK) ? [path.join(".")] : [];
  if (Array.isArray(raw)) return raw.flatMap((item, i) => placeholderValues(item, [...path, String(i)]));
  if (typeof raw === "object" && raw !== null)
    return Object.entries(raw).flatMap(([key, value]) => placeholderValues(value, [...path, key]));
  return [];
}
