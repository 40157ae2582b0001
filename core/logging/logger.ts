import { pino, type Logger } from "pino";

/**
 * Paths that may carry secrets. pino replaces them before a line is written, so a token that slips
 * into a log object never reaches the log.
 */
const REDACT = [
  "password",
  "*.password",
  "secret",
  "*.secret",
  "auth",
  "*.auth",
  "access_token",
  "*.access_token",
  "refresh_token",
  "*.refresh_token",
  "accessToken",
  "*.accessToken",
  "refreshToken",
  "*.refreshToken",
  "clientSecret",
  "*.clientSecret",
  "applicationToken",
  "*.applicationToken",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "webhookUrl",
  "*.webhookUrl",
];

export type { Logger };

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: "[redacted]" } });
}

/** Removes credentials from a URL (webhook secrets live in the path, tokens in the query). */
export function redactUrl(url: string): string {
  return url
    .replace(/\/rest\/(\d+)\/[^/]+\//, "/rest/$1/[redacted]/")
    .replace(/([?&](?:auth|access_token|refresh_token|client_secret|api_key)=)[^&]*/gi, "$1[redacted]");
}
