import type { CardMode } from "../../config/schema.ts";
import type { CallState, Leg } from "../types.ts";
import type { UserDirectory } from "./userDirectory.ts";

/**
 * The CRM users who should see the call card NOW (sorted, unique). Workers show the card to users who
 * enter this set and hide it from users who leave it, so an ended call (empty set) hides every card.
 * - mode "ring": users whose legs are being offered the call — dialled or ringing, not ended, not
 *   skipped, never in a conversation — plus users in an open conversation. While a conversation is
 *   open, only legs dialled after it started are offered the call (a transfer target, also while it
 *   answers an attended transfer's consultation); the losers of a ring-all that the app is still
 *   hanging up are not, nor is the transferring operator whose channel is still up.
 * - mode "answer": users in an open conversation only (the single show on answer).
 * - mode "off": never.
 */
export function cardAudience(
  call: CallState,
  directory: UserDirectory,
  modeFor: (userId: number) => CardMode,
): number[] {
  if (call.phase === "ended") return [];
  const talking = new Set(call.conversations.filter((c) => c.endedAt === undefined).map((c) => c.legId));
  const talked = new Set(call.conversations.map((c) => c.legId));
  const ringRoundStart = latestOpenConversationStart(call);
  const audience = new Set<number>();
  for (const leg of call.legs) {
    const userId = directory.userIdByExtension(leg.extension);
    if (userId === undefined) continue;
    const mode = modeFor(userId);
    const inConversation = talking.has(leg.legId);
    if ((mode === "ring" || mode === "answer") && inConversation) audience.add(userId);
    if (mode === "ring" && !talked.has(leg.legId) && isOffered(leg, ringRoundStart)) audience.add(userId);
  }
  return [...audience].sort((a, b) => a - b);
}

function isOffered(leg: Leg, dialledAfterMs: number): boolean {
  return !leg.skipped && leg.endedAt === undefined && Date.parse(leg.dialledAt) > dialledAfterMs;
}

/** Start of the newest open conversation, or -Infinity when nobody is talking. */
function latestOpenConversationStart(call: CallState): number {
  let latest = -Infinity;
  for (const c of call.conversations) {
    if (c.endedAt === undefined) latest = Math.max(latest, Date.parse(c.startedAt));
  }
  return latest;
}
