import { createHash, randomBytes } from "node:crypto";
import { coreError } from "../../errors.ts";
import type { ParamObject } from "../../http/brackets.ts";
import type { PortalState } from "../../state/portal.ts";
import type { UserRecord } from "../../state/types.ts";
import { int, param, str } from "../params.ts";

export const REREGISTER_WINDOW_MS = 30 * 60_000;

/** USER_ID, or USER_PHONE_INNER when USER_ID is 0 or missing. Throws "…should be set" when neither. */
export function requestedUser(params: ParamObject): { id?: number; inner?: string } {
  const id = int(param(params, "USER_ID"));
  if (id && id > 0) return { id };
  const inner = str(param(params, "USER_PHONE_INNER"))?.trim();
  if (inner) return { inner };
  throw coreError("USER_ID or USER_PHONE_INNER should be set");
}

export function resolveUser(state: PortalState, wanted: { id?: number; inner?: string }): UserRecord {
  const user =
    wanted.id !== undefined ? state.activeUser(wanted.id) : state.activeUserByInner(wanted.inner ?? "");
  if (!user) throw coreError("User is not found or is not active");
  return user;
}

/**
 * The portal's `CVoxImplantPhone::stripLetters`: everything but ASCII `[0-9#*+,;]` is removed (letters,
 * spaces, dashes, brackets, non-ASCII digits); an empty result — or `"0"`, which PHP reads as false —
 * is refused. The stripped number is what the call keeps. `"+"` alone is accepted, as by the portal.
 */
export function cleanPhoneNumber(raw: string | undefined): string {
  const cleaned = (raw ?? "").replace(/[^0-9#*+,;]/g, "");
  if (cleaned === "" || cleaned === "0") throw coreError("Unsupported phone number format");
  return cleaned;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export function checkStartDate(raw: string | undefined, fallback: string): string {
  if (raw === undefined || raw === "") return fallback;
  if (!ISO_8601.test(raw) || Number.isNaN(Date.parse(raw))) {
    throw coreError("CALL_START_DATE should be in the ISO-8601 format");
  }
  return raw;
}

export function checkType(raw: number | undefined): number {
  if (raw === undefined || raw < 1 || raw > 5) throw coreError("Unknown TYPE");
  return raw;
}

export function newCallId(nowMs: number): string {
  const md5 = createHash("md5").update(randomBytes(16)).digest("hex");
  return `externalCall.${md5}.${Math.floor(nowMs / 1000)}`;
}

export interface ReRegistrationKey {
  appId: string | null;
  phone: string;
  type: number;
  userId: number;
  line: string;
  externalId: string;
}

export function reRegistrationKey(key: ReRegistrationKey): string {
  return JSON.stringify([key.appId, key.phone, key.type, key.userId, key.line, key.externalId]);
}

/** Outgoing for TYPE 1 (outgoing), 4 (callback) and 5 (informational); incoming for 2 and 3. */
export const isOutgoing = (type: number): boolean => type === 1 || type === 4 || type === 5;
