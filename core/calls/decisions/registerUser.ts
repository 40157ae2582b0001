import type { CallState, Leg } from "../types.ts";
import { callIsOver } from "./callScope.ts";
import { legsByDialTime, responsibleUser } from "./responsibleUser.ts";
import type { UserDirectory } from "./userDirectory.ts";

export interface RegisterUser {
  userId: number;
  reason: "crm" | "dialled" | "origin" | "responsible" | "default";
}

export interface RegisterUserOptions {
  /** `crm.defaultUserId`: only for a call that ended without any CRM user involved. */
  defaultUserId?: number;
  /**
   * The client's responsible user in the CRM (the contact's, company's or lead's ASSIGNED_BY_ID), when
   * a CRM lookup found one. Inbound calls are registered for that manager first.
   */
  crmResponsibleUserId?: number;
}

/**
 * The user `telephony.externalcall.register` is sent for. It matters: the portal assigns the lead it
 * creates for an unknown caller to this user, and its automation runs for them, until `finish`.
 * - Inbound: the client's CRM responsible when known; else the first CRM user who rings (by dial
 *   time; operators skipped without being dialled, and legs that ended without ever ringing, do not
 *   count). While the call is live and no CRM user rings yet (the caller is in the IVR, or only
 *   Support rings) nobody is returned: the worker waits, because a CRM user may still ring. Only an
 *   ended call falls back to the responsible user (who answered or rang) and then `defaultUserId`.
 * - Outbound and internal: the user of the extension that placed the call; internal calls without one
 *   follow the inbound rule.
 * Undefined when nobody fits (yet).
 */
export function registerUser(
  call: CallState,
  directory: UserDirectory,
  options: RegisterUserOptions = {},
): RegisterUser | undefined {
  if (call.direction !== "inbound" && call.originExtension !== undefined) {
    const origin = directory.userIdByExtension(call.originExtension);
    if (origin !== undefined) return { userId: origin, reason: "origin" };
  }
  if (call.direction === "outbound") return undefined;
  if (options.crmResponsibleUserId !== undefined)
    return { userId: options.crmResponsibleUserId, reason: "crm" };

  for (const leg of legsByDialTime(call.legs)) {
    if (!ringsOrRang(leg)) continue;
    const userId = directory.userIdByExtension(leg.extension);
    if (userId !== undefined) return { userId, reason: "dialled" };
  }
  if (!callIsOver(call)) return undefined;
  const responsible = responsibleUser(call, directory, { defaultUserId: options.defaultUserId });
  if (!responsible) return undefined;
  return { userId: responsible.userId, reason: responsible.reason === "default" ? "default" : "responsible" };
}

/** Dialled and offered the call: still ringing, rang, or answered (not a leg that failed at once). */
function ringsOrRang(leg: Leg): boolean {
  if (leg.skipped) return false;
  return leg.endedAt === undefined || leg.ringingAt !== undefined || leg.answeredAt !== undefined;
}
