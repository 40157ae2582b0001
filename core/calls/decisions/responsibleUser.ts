import type { CallState, Leg } from "../types.ts";
import type { UserDirectory } from "./userDirectory.ts";

export interface ResponsibleUser {
  userId: number;
  reason: "answered" | "rung" | "origin" | "default";
}

export interface ResponsibleUserOptions {
  /** `crm.defaultUserId`: used when no CRM user answered, rang or placed the call. */
  defaultUserId?: number;
}

/**
 * The CRM user the call is finished for (the `finish` stage):
 * 1. the last CRM user who answered — by conversation start; conversations with extensions that are
 *    not CRM users (a Support group) are skipped, so a transfer to Support keeps the last CRM user who
 *    talked (the customization the MISSION puts in the "call finished" hook is the default here);
 * 2. else the last CRM user rung — legs that were dialled (rang or not), by dialledAt; not skipped
 *    ones, nor legs whose dial failed before reaching the phone (see `reachedThePhone`);
 * 3. else, for outbound and internal calls, the user of the extension that placed the call;
 * 4. else `defaultUserId`; else undefined.
 */
export function responsibleUser(
  call: CallState,
  directory: UserDirectory,
  options: ResponsibleUserOptions = {},
): ResponsibleUser | undefined {
  const talked = [...call.conversations].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  const answered = lastUserOf(talked, directory);
  if (answered !== undefined) return { userId: answered, reason: "answered" };
  if (call.direction === "callback") {
    // The operator who took the callback owns it, also when the client then did not answer.
    const took = lastUserOf(legsByDialTime(call.legs.filter((leg) => leg.answeredAt)), directory);
    if (took !== undefined) return { userId: took, reason: "answered" };
  }

  const rung = lastUserOf(legsByDialTime(call.legs.filter(reachedThePhone)), directory);
  if (rung !== undefined) return { userId: rung, reason: "rung" };

  if (call.direction !== "inbound" && call.originExtension !== undefined) {
    const origin = directory.userIdByExtension(call.originExtension);
    if (origin !== undefined) return { userId: origin, reason: "origin" };
  }
  if (options.defaultUserId !== undefined) return { userId: options.defaultUserId, reason: "default" };
  return undefined;
}

/**
 * Not skipped, and not a dial that failed before the phone was offered the call: a leg that ended
 * `failed`/`unregistered` without ringing or answering (the originate was refused — "originator channel
 * not found", a 4xx/5xx of `create`/`dial` — or the phone is not registered). Such an operator never
 * saw the call, so a missed call must not land on them.
 */
export function reachedThePhone(leg: Leg): boolean {
  if (leg.skipped) return false;
  if (leg.ringingAt !== undefined || leg.answeredAt !== undefined) return true;
  return leg.result !== "failed" && leg.result !== "unregistered";
}

/** Legs in the order they were dialled (stable: equal times keep the recorded order). */
export function legsByDialTime(legs: readonly Leg[]): Leg[] {
  return [...legs].sort((a, b) => Date.parse(a.dialledAt) - Date.parse(b.dialledAt));
}

function lastUserOf(items: readonly { extension: string }[], directory: UserDirectory): number | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const userId = directory.userIdByExtension(items[i]!.extension);
    if (userId !== undefined) return userId;
  }
  return undefined;
}
