import type { CallEvent } from "../../core/calls/types.ts";
import type { LifecycleKind } from "../../core/jobs/lifecycle.ts";

/** Which lifecycle job a call event produces (the job's BullMQ name). Pure. */
export function lifecycleKindOf(event: CallEvent): LifecycleKind {
  switch (event.type) {
    case "callStarted":
      return "callStarted";
    case "legRinging":
      return "operatorRinging";
    case "legAnswered":
    case "conversationStarted":
    case "clientAnswered":
      return "answered";
    case "transferred":
      return "transfer";
    case "callEnded":
      return "ended";
    case "recordingFinished":
      return "recordingReady";
    case "ivrMissed":
      return "ivrMissed";
    default:
      return "changed";
  }
}
