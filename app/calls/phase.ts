import type { CallControl } from "./control.ts";

/**
 * Where a call stands from the app's point of view, for the transition log (`ringing -[legAnswered]>
 * talking`). Derived from the control record, never stored. Pure.
 */
export type ControlPhase =
  "new" | "ivr" | "ringing" | "connecting" | "talking" | "transferring" | "ending" | "ended";

export function controlPhase(ctl: CallControl): ControlPhase {
  if (ctl.ended) return "ended";
  if (ctl.ending) return "ending";
  if (ctl.transferTo) return "transferring";
  if (ctl.talkingLegId) return "talking";
  if (ctl.ivr) return "ivr";
  const legs = Object.values(ctl.legs);
  const ringing = legs.some((l) => l.state === "dialling" || l.state === "ringing");
  if (ctl.hunt || ringing || (dialsClient(ctl) && !ctl.clientAnswered)) return "ringing";
  if (legs.some((l) => l.state === "up" && l.purpose !== "direct")) return "connecting";
  return "new";
}

/** `ringing -[legAnswered, conversationStarted]> talking`: one line per change, with what caused it. */
export function describeTransition(from: ControlPhase, to: ControlPhase, causes: readonly string[]): string {
  return `${from} -[${causes.length ? causes.join(", ") : "change"}]> ${to}`;
}

/** Outbound calls and callbacks dial the client themselves (its answer is awaited, not an operator's). */
export function dialsClient(ctl: Pick<CallControl, "direction">): boolean {
  return ctl.direction === "outbound" || ctl.direction === "callback";
}
