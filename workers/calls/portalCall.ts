import type { CallState } from "../../core/calls/types.ts";
import type { StepJournal } from "./journal.ts";

/**
 * A click-to-call (ONEXTERNALCALLSTART) arrives already registered: the portal made the call and
 * sent its CALL_ID. The journal adopts it once, as if our own register had been answered for the
 * clicking user, so the planner shows cards, finishes and attaches the record to THAT call and never
 * registers a second one. `portalCallAdoptedAt` survives a forgotten registration (a finish the portal
 * answered "not found"), so the CALL_ID is never adopted twice: the planner fails such a call instead.
 * Pure: returns the new journal, or undefined when there is nothing to adopt.
 */
export function adoptPortalCall(call: CallState, journal: StepJournal, at: string): StepJournal | undefined {
  const portal = call.portalCall;
  if (!portal || journal.portalCallAdoptedAt || journal.bxCallId) return undefined;
  const next = structuredClone(journal);
  next.bxCallId = portal.callId;
  next.registeredFor = portal.userId;
  next.register = { doneAt: at };
  next.portalCallAdoptedAt = at;
  return next;
}
