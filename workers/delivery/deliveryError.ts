import type { CrmErrorInfo } from "./types.ts";

/**
 * Why a group was not delivered: retries exhausted, a permanent error, an invalid group, shutdown, or
 * an unexpected exception inside the pipeline (a bug or a malformed answer; another attempt may pass).
 */
export type DeliveryFailure =
  "retries_exhausted" | "permanent_error" | "invalid_group" | "closed" | "internal_error";

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
  ) {
    super(
      `delivery failed (${reason}) after ${attempts} attempt(s): ${lastError.code}: ${lastError.description}`,
    );
    this.name = "DeliveryError";
  }
}
