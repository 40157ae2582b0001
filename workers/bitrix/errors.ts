import type { CrmErrorInfo } from "../delivery/types.ts";

/**
 * Typed errors of the Bitrix24 client. The class follows the portal's error CODE first and the HTTP
 * status second: `OVERLOAD_LIMIT` is a 503 like `QUERY_LIMIT_EXCEEDED`, but a manual block, not a rate
 * limit. Messages never carry URLs with credentials or tokens.
 *
 * Every error says what the delivery pipeline may do next (`disposition`), because a request the
 * portal may have run must never be sent again blindly:
 * - `retry`: the portal provably did not run it (503 QUERY_LIMIT_EXCEEDED, 429 OPERATION_TIME_LIMIT,
 *   a connection that failed before the request was written) — sending it again duplicates nothing;
 * - `ambiguous`: it may have run (a timeout or a reset after the request was written, a 5xx other
 *   than the rate limit, a 200 that cannot be read) — the reconciler verifies before anything is re-sent;
 * - `hold`: a refusal of the whole portal that an admin must fix (credentials, scope, payment,
 *   OVERLOAD_LIMIT, 408/413): nothing ran, and nothing should be sent until it is fixed;
 * - `refused`: the portal refused this request for a reason of its own (4xx): it did not run; a batch
 *   refused this way is split so that one bad command cannot fail the others.
 */
export type Disposition = "retry" | "ambiguous" | "hold" | "refused";

export class BitrixError extends Error {
  constructor(
    readonly code: string,
    description: string,
    readonly status: number | undefined,
    readonly disposition: Disposition,
  ) {
    super(`${code}: ${description}`);
    this.name = new.target.name;
  }

  get description(): string {
    return this.message.slice(this.code.length + 2);
  }

  /** Another attempt may get through (after a verification, a hold or a pause): every kind but `refused`. */
  get retryable(): boolean {
    return this.disposition !== "refused";
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
    super("QUERY_LIMIT_EXCEEDED", description, status, "retry");
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
    super("OPERATION_TIME_LIMIT", description, status, "retry");
  }
}

/**
 * 401 expired_token: the OAuth access token must be refreshed, then the request retried (the client
 * does it). When it reaches the pipeline, no refresh was possible: a hold until the admin acts.
 */
export class TokenExpired extends BitrixError {
  constructor(description = "The access token provided has expired", status = 401) {
    super("expired_token", description, status, "hold");
  }
}

/**
 * Credentials or rights refused for the whole portal (bad webhook secret, revoked or invalid token,
 * invalid_grant, missing scope, wrong auth type, payment required, no usable token file): a hold.
 */
export class AuthFailed extends BitrixError {
  constructor(code: string, description: string, status?: number) {
    super(code, description, status, "hold");
  }
}

/**
 * The portal refuses every request for now, whatever it carries: OVERLOAD_LIMIT (a manual block that
 * needs Bitrix support), a whole request refused with 408 (the body was not received in time) or 413
 * (the body is over the portal's limit), or a REST URL that does not exist. Nothing ran; a hold.
 */
export class PortalRefused extends BitrixError {
  constructor(code: string, description: string, status?: number) {
    super(code, description, status, "hold");
  }
}

export class MethodNotFound extends BitrixError {
  constructor(description = "Method not found!", status = 404) {
    super("ERROR_METHOD_NOT_FOUND", description, status, "refused");
  }
}

/**
 * The connection failed. `sent` says whether any byte of the request may have reached the portal:
 * refused, unresolvable or unconnectable before the request was written → `CONNECT_FAILED`, safe to
 * retry; reset or closed after it was written → `NETWORK`, ambiguous.
 */
export class NetworkError extends BitrixError {
  constructor(
    description: string,
    readonly sent = true,
  ) {
    super(sent ? "NETWORK" : "CONNECT_FAILED", description, undefined, sent ? "ambiguous" : "retry");
  }
}

/** No answer in time: ambiguous once the request was written (`TIMEOUT`), else `CONNECT_TIMEOUT`. */
export class RequestTimeout extends BitrixError {
  constructor(
    timeoutMs: number,
    readonly sent = true,
  ) {
    super(
      sent ? "TIMEOUT" : "CONNECT_TIMEOUT",
      sent ? `no answer within ${timeoutMs} ms` : `not connected within ${timeoutMs} ms`,
      undefined,
      sent ? "ambiguous" : "retry",
    );
  }
}

/**
 * 5xx other than the rate limit, or an answer that cannot be read: the portal may have run the
 * request. `disposition` is `retry` only where this side knows nothing was sent (a refresh that timed
 * out before the REST request).
 */
export class ServerError extends BitrixError {
  constructor(code: string, description: string, status: number, disposition: Disposition = "ambiguous") {
    super(code, description, status, disposition);
  }
}

/** The portal refused one call with an error code (`ERROR_CORE`, `INVALID_ARGUMENT`, …). */
export class CommandFailed extends BitrixError {
  constructor(code: string, description: string, status?: number) {
    super(code, description, status, "refused");
  }
}

/** Codes of refused credentials or rights (lower case): the whole portal is refused, not one request. */
const AUTH_CODES = new Set([
  "invalid_token",
  "no_auth_found",
  "invalid_credentials",
  "insufficient_scope",
  "invalid_scope",
  "invalid_grant",
  "invalid_client",
  "wrong_auth_type",
  "access_denied",
  "user_access_error",
  "method_confirm_waiting",
  "payment_required",
]);

/**
 * Codes that hold delivery even as the error of ONE command inside a batch: they can only mean the
 * portal refuses this connector for every call (a missing scope, the wrong auth type for telephony, an
 * unpaid or blocked portal). `ACCESS_DENIED` is not among them: inside a batch it can be about one CRM
 * entity, and holding the portal for one call's entity would stop every other call.
 */
const COMMAND_HOLD_CODES = new Set([
  "insufficient_scope",
  "invalid_scope",
  "wrong_auth_type",
  "payment_required",
  "overload_limit",
  "method_confirm_waiting",
]);

export function holdsAsCommandError(code: string): boolean {
  return COMMAND_HOLD_CODES.has(code.toLowerCase());
}

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
  if (upper === "OVERLOAD_LIMIT") return new PortalRefused(code!, description || "Portal blocked", status);
  if (upper === "ERROR_METHOD_NOT_FOUND") return notFound(description || undefined, status, method);
  if (status === 408 || status === 413) {
    const what = status === 408 ? "request not received in time" : "request body over the portal's limit";
    return new PortalRefused(code ?? `HTTP_${status}`, description || `HTTP ${status}: ${what}`, status);
  }
  if (status >= 500)
    return new ServerError(code ?? `HTTP_${status}`, description || `HTTP ${status}`, status);
  if (status === 401) return new AuthFailed(code ?? "UNAUTHORIZED", description || "HTTP 401", status);
  if (status === 403 && code === undefined) return new AuthFailed("HTTP_403", "HTTP 403", status);
  if (status === 404 && code === undefined) return notFound("HTTP 404", status, method);
  return new CommandFailed(code ?? `HTTP_${status}`, description || `HTTP ${status}`, status);
}

/**
 * A method that does not exist is the method's problem; `batch` itself not being found means the REST
 * URL is wrong (a mistyped webhook or portal address): every request would fail, so it holds.
 */
function notFound(description: string | undefined, status: number, method: string | undefined): BitrixError {
  if (method === "batch") {
    return new PortalRefused(
      "ERROR_METHOD_NOT_FOUND",
      `the batch method is not found: check the REST URL in bitrix.auth${description ? ` (${description})` : ""}`,
      status,
    );
  }
  return new MethodNotFound(description, status);
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
