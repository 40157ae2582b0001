import type { CrmErrorInfo } from "./types.ts";

/**
 * Why a group was not delivered:
 * - `retries_exhausted`: every attempt was refused in a way that proves the portal did not run it
 *   (503 QUERY_LIMIT_EXCEEDED, 429, connection refused before sending) — nothing ran.
 * - `ambiguous`: the request may have run at the portal (a timeout or a reset after sending, a 5xx, an
 *   unreadable 200). It is never re-sent blindly: the reconciler verifies with the portal first.
 * - `held`: delivery is on hold cluster-wide for a cause an admin must fix (credentials refused,
 *   OVERLOAD_LIMIT, …); nothing was sent. The job comes back later; a hold never fails a call.
 * - `permanent_error`, `invalid_group`, `closed` (shutdown), `internal_error` (an unexpected exception
 *   inside the pipeline: a bug or a malformed answer; another attempt may pass).
 */
export type DeliveryFailure =
  | "retries_exhausted"
  | "ambiguous"
  | "held"
  | "permanent_error"
  | "invalid_group"
  | "closed"
  | "internal_error";

/** The rejection for an exception that is not a DeliveryError (retryable: the job comes back). */
export function internalDeliveryError(err: unknown): DeliveryError {
  const description = err instanceof Error ? err.message : String(err);
  return new DeliveryError("internal_error", { code: "INTERNAL", description, retryable: true }, 0);
}

/** Rejection of `CrmDelivery.send`: the reason plus the last error of the whole request. */
export class DeliveryError extends Error {
  constructor(
    readonly reason: DeliveryFailure,
    readonly lastError: CrmErrorInfo,
    readonly attempts: number,
    /** `held`: about when the hold is next probed (ms from now), a hint for when to come back. */
    readonly retryAfterMs?: number,
  ) {
    super(
      `delivery failed (${reason}) after ${attempts} attempt(s): ${lastError.code}: ${lastError.description}`,
    );
    this.name = "DeliveryError";
  }
}
