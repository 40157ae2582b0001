import type { CallState } from "../types.ts";
import { legsByDialTime, responsibleUser } from "./responsibleUser.ts";
import type { UserDirectory } from "./userDirectory.ts";

export interface RegisterUser {
  userId: number;
  reason: "dialled" | "origin" | "responsible" | "default";
}

export interface RegisterUserOptions {
  defaultUserId?: number;
}

/**
 * The user `telephony.externalcall.register` is sent for.
 * - Inbound: the first CRM user dialled (by dialledAt; skipped operators were not dialled), else the
 *   responsible user (which may be the default user), else `defaultUserId`.
 * - Outbound and internal: the user of the extension that placed the call; internal calls without one
 *   fall back to the inbound rule.
 * Undefined when nobody fits: the worker waits for a leg, or uses its default at the end.
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

  for (const leg of legsByDialTime(call.legs)) {
    if (leg.skipped) continue;
    const userId = directory.userIdByExtension(leg.extension);
    if (userId !== undefined) return { userId, reason: "dialled" };
  }
  const responsible = responsibleUser(call, directory, options);
  if (responsible) return { userId: responsible.userId, reason: "responsible" };
  if (options.defaultUserId !== undefined) return { userId: options.defaultUserId, reason: "default" };
  return undefined;
}
