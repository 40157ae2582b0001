import {
  responsibleUser,
  statusCode,
  talkDurationSec,
  type UserDirectory,
} from "../core/calls/decisions/index.ts";
import type { GeneratedCall, ScenarioName } from "./callMix.ts";

/**
 * What the CRM must show for each generated call, derived with the same pure decisions the workers
 * use (core/calls/decisions), so the benchmark checks delivery, not a second opinion on the rules.
 */

export interface ExpectedCrm {
  callId: string;
  scenario: ScenarioName;
  /** Bitrix24 USER_ID of `finish`; undefined when nobody fits (the call cannot be delivered). */
  userId: number | undefined;
  statusCode: string;
  durationSec: number;
  /** A wav recording must be attached. */
  recording: boolean;
}

/** A Bitrix24 user as the emulator's seed lists it. */
export interface SeedUser {
  ID: number;
  UF_PHONE_INNER?: string;
  ACTIVE?: boolean;
}

/** Extension → user id of the active users with an inner number (Support extensions are not users). */
export function directoryOf(users: readonly SeedUser[]): UserDirectory {
  const byExtension = new Map<string, number>();
  for (const user of users) {
    if (user.UF_PHONE_INNER && user.ACTIVE !== false) byExtension.set(user.UF_PHONE_INNER, user.ID);
  }
  return { userIdByExtension: (extension) => byExtension.get(extension) };
}

export function expectedCrm(call: GeneratedCall, directory: UserDirectory): ExpectedCrm {
  const { state } = call;
  return {
    callId: call.callId,
    scenario: call.scenario,
    userId: responsibleUser(state, directory)?.userId,
    statusCode: statusCode(state),
    durationSec: talkDurationSec(state),
    recording: state.recording?.state === "done" && /\.(wav|mp3)$/i.test(state.recording.file ?? ""),
  };
}
