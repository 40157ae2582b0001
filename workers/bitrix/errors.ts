import type { CrmErrorInfo } from "../delivery/types.ts";

/**
 * Typed errors of the Bitrix24 client. The class follows the portal's error CODE first and the HTTP
 * status second: `OVERLOAD_LIMIT` is a 503 like `QUERY_LIMIT_EXCEEDED`, but a manual block, not a rate
 * limit. Messages never carry URLs with credentials or tokens.
 */
export class BitrixError extends Error {
  constructor(
    readonly code: string,
    description: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
    super(`${code}: ${description}`);
    this.name = new.target.name;
  }

  get description(): string {
    return this.message.slice(this.code.length + 2);
  }

  toInfo(): CrmErrorInfo {
    const info: CrmErrorInfo = { code: this.code, description: this.description, retryable: this.retryable };
    if (this.status !== undefined) info.status = this.status;
    return info;
  }
}

/** 503 QUERY_LIMIT_EXCEEDED: the portal's leaky bucket is full; nothing ran, a retry duplicates nothing. */
export class RateLimited extends BitrixError {
  constructor(description = "Too many requests", status = 503) {
    super("QUERY_LIMIT_EXCEEDED", description, status, true);
  }
}

/** 429 OPERATION_TIME_LIMIT: one method spent its execution-time budget; blocked until `resetAtMs`. */
export class OperationTimeLimited extends BitrixError {
  constructor(
    description: string,
    readonly method: string | undefined,
    /** Unix time in ms when the method is available again (from `operating_reset_at`), if known. */
    readonly resetAtMs: number | undefined,
    status = 429,
  ) {
    super("OPERATION_TIME_LIMIT", description, status, true);
  }
}

/** 401 expired_token: the OAuth access token must be refreshed, then the request retried. */
export class TokenExpired extends BitrixError {
  constructor(description = "The access token provided has expired", status = 401) {
    super("expired_token", description, status, true);
  }
}

/** Credentials rejected for good (bad webhook secret, revoked or invalid token, invalid_grant, scope). */
export class AuthFailed extends BitrixError {
  constructor(code: string, description: string, status?: number) {
    super(code, description, status, false);
  }
}

export class MethodNotFound extends BitrixError {
  constructor(description = "Method not found!", status = 404) {
    super("ERROR_METHOD_NOT_FOUND", description, status, false);
  }
}

export class NetworkError extends BitrixError {
  constructor(description: string) {
    super("NETWORK", description, undefined, true);
  }
}

export class RequestTimeout extends BitrixError {
  constructor(timeoutMs: number) {
    super("TIMEOUT", `no answer within ${timeoutMs} ms`, undefined, true);
  }
}

/** 5xx (or an unreadable answer): the portal may well answer the next attempt. */
export class ServerError extends BitrixError {
  constructor(code: string, description: string, status: number) {
    super(code, description, status, true);
  }
}

/** The portal refused one call with an error code (`ERROR_CORE`, `INVALID_ARGUMENT`, …). */
export class CommandFailed extends BitrixError {
  constructor(code: string, description: string, status?: number) {
    super(code, description, status, false);
  }
}

const AUTH_CODES = new Set([
  "invalid_token",
  "no_auth_found",
  "invalid_credentials",
  "insufficient_scope",
  "invalid_grant",
  "invalid_client",
  "wrong_auth_type",
  "access_denied",
  "user_access_error",
  "method_confirm_waiting",
  "payment_required",
]);

export interface ErrorBody {
  error?: unknown;
  error_description?: unknown;
  time?: { operating_reset_at?: unknown };
  operating_reset_at?: unknown;
}

/**
 * Turns a portal error answer into a typed error. `method` is the method the request was for (for a
 * 429, the method to pause; a batch's own 429 names no single method).
 */
export function classifyError(status: number, body: ErrorBody | undefined, method?: string): BitrixError {
  const code = typeof body?.error === "string" && body.error !== "" ? body.error : undefined;
  const description = typeof body?.error_description === "string" ? body.error_description : "";
  const upper = code?.toUpperCase();
  if (upper === "QUERY_LIMIT_EXCEEDED") return new RateLimited(description || undefined, status);
  if (upper === "OPERATION_TIME_LIMIT" || (status === 429 && code === undefined)) {
    return new OperationTimeLimited(
      description || "Method is blocked",
      method,
      operatingResetAtMs(body),
      status,
    );
  }
  if (code === "expired_token") return new TokenExpired(description || undefined, status);
  if (upper !== undefined && AUTH_CODES.has(upper.toLowerCase()))
    return new AuthFailed(code!, description, status);
  if (upper === "ERROR_METHOD_NOT_FOUND") return new MethodNotFound(description || undefined, status);
  if (upper === "OVERLOAD_LIMIT")
    return new BitrixError(code!, description || "Portal blocked", status, false);
  if (status >= 500)
    return new ServerError(code ?? `HTTP_${status}`, description || `HTTP ${status}`, status);
  if (status === 401) return new AuthFailed(code ?? "UNAUTHORIZED", description || "HTTP 401", status);
  if (status === 404 && code === undefined) return new MethodNotFound(`HTTP 404`, status);
  return new CommandFailed(code ?? `HTTP_${status}`, description || `HTTP ${status}`, status);
}

/** `operating_reset_at` (unix seconds) of an error body, in ms. */
export function operatingResetAtMs(body: ErrorBody | undefined): number | undefined {
  const raw = body?.time?.operating_reset_at ?? body?.operating_reset_at;
  const n = typeof raw === "string" ? Number(raw) : raw;
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? n * 1000 : undefined;
}

/** The error of one command inside a batch (`result_error[key]`): it has a code but no HTTP status. */
export function commandErrorInfo(entry: unknown): CrmErrorInfo {
  const e = (entry ?? {}) as ErrorBody;
  const code = typeof e.error === "string" && e.error !== "" ? e.error : "UNKNOWN";
  const description = typeof e.error_description === "string" ? e.error_description : String(code);
  const retryable = code === "QUERY_LIMIT_EXCEEDED" || code === "OPERATION_TIME_LIMIT";
  return { code, description, retryable };
}
