import { clientResultFromCause } from "../calls/hangupCauses.ts";
import type { CallEvent } from "../calls/types.ts";
import type { CallShape } from "./callShape.ts";
import type { WalkOutcome } from "./timelineWalk.ts";

type CallEnd = Omit<Extract<CallEvent, { type: "callEnded" }>, "type" | "at">;

/**
 * How the call ended, the way the live app records it (app/calls/engine.ts): the client's result and
 * who hung up first. A channel "hung up by itself" when its HANGUP names it as the hangup source (a
 * BYE from that phone, a CANCEL from the caller); a hangup by the application names no source.
 */
export function callEndOf(shape: CallShape, walk: WalkOutcome): CallEnd {
  const client = shape.client;
  const first = walk.selfHangups.find(
    (ch) => ch === client || ch === walk.lastTalking || ch === originLeg(shape),
  );
  const hangupBy = first === undefined ? "system" : first === client ? "client" : "operator";
  if (walk.talked) return { clientResult: "answered", hangupBy };

  if (shape.direction === "outbound") {
    if (first !== undefined && first === shape.origin)
      return { clientResult: "cancelled", hangupBy: "operator" };
    if (!client?.hangup) return { clientResult: "unavailable", hangupBy: "system" };
    const cause = client.hangup.cause;
    return {
      clientResult: client.answeredAt ? "answered" : clientResultFromCause(cause),
      ...(cause !== undefined ? { clientCause: cause } : {}),
      hangupBy: "client",
    };
  }
  // Inbound and internal calls nobody answered: the caller gave up, or the app (or dialplan) did.
  if (client?.hangup?.bySelf) {
    const cause = client.hangup.cause;
    return {
      clientResult: "cancelled",
      ...(cause !== undefined ? { clientCause: cause } : {}),
      hangupBy: "client",
    };
  }
  return { clientResult: "noanswer", hangupBy: "system" };
}

/** The operator who placed an outbound call is its leg. */
function originLeg(shape: CallShape) {
  return shape.direction === "outbound" ? shape.origin : undefined;
}
