import { redactUrl } from "../../core/logging/logger.ts";

/**
 * The configuration in effect as the dashboard shows it: every secret replaced, so a screenshot or a
 * support ticket never carries one. Keys ending in password/secret/token/key are masked whatever their
 * value; URLs lose their user info and the webhook secret in their path.
 */
export const MASK = "[redacted]";
const SECRET_KEY = /(password|secret|token|key)$/i;

export function maskedConfig(value: unknown, key = ""): unknown {
  if (value === null || value === undefined) return value;
  if (SECRET_KEY.test(key) && typeof value !== "object") return MASK;
  if (Array.isArray(value)) return value.map((v) => maskedConfig(v, ""));
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskedConfig(v, k)]));
  }
  if (typeof value === "string" && /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return maskUrl(value);
  return value;
}

function maskUrl(url: string): string {
  const withoutUser = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, `$1${MASK}@`);
  return redactUrl(withoutUser);
}
