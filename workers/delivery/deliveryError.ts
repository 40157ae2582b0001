import type { CrmErrorInfo } from "./types.ts";

/** Why a group was not delivered: retries exhausted, a permanent error, an invalid group, or shutdown. */
export type DeliveryFailure = "retries_exhausted" | "permanent_error" | "invalid_group" | "closed";

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
