import type { CallEventType } from "./types.ts";

/** Why the reducer refused an event. */
export type CallModelErrorCode =
  /** An event other than callStarted for a call that has no state. */
  | "callNotStarted"
  /** callStarted (or an event) for a state of another call. */
  | "callIdMismatch"
  /** A leg event for a leg that was never dialled, while the call is still going on. */
  | "unknownLeg"
  /** foldCallEvents was given no events and no initial state. */
  | "noEvents";

/**
 * A CallEvent that cannot be applied. It means the producer (the app, the bench, re-processing) built
 * an impossible sequence; the caller logs it with the call id and keeps the previous state.
 */
export class CallModelError extends Error {
  override readonly name = "CallModelError";

  constructor(
    readonly code: CallModelErrorCode,
    readonly eventType: CallEventType | undefined,
    message: string,
  ) {
    super(message);
  }
}
