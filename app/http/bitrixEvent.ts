import { secretsEqual } from "./secretCompare.ts";
import type { BitrixEvent } from "./types.ts";

/**
 * Reads a Bitrix24 event from a parsed form body (`event=…&data[…]=…&auth[application_token]=…`) and
 * verifies its application token (contract §3). Pure, so every branch is unit-tested. The result
 * never carries the token or any other `auth[…]` secret.
 */
export type EventVerdict =
  | { kind: "ok"; event: BitrixEvent }
  | { kind: "malformed"; error: string }
  | {
      kind: "unauthenticated";
      reason: "missing application_token" | "application_token mismatch";
      name?: string;
    }
  | { kind: "notConfigured" };

const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;

export function verifyBitrixEvent(body: unknown, expectedToken: string | undefined): EventVerdict {
  if (!isRecord(body) || Object.keys(body).length === 0) {
    return { kind: "malformed", error: "expected a non-empty application/x-www-form-urlencoded body" };
  }
  const name =
    typeof body.event === "string" && EVENT_NAME.test(body.event) ? body.event.toUpperCase() : undefined;
  if (!expectedToken) return { kind: "notConfigured" };
  const auth = isRecord(body.auth) ? body.auth : {};
  const token = auth.application_token;
  if (typeof token !== "string" || token === "") {
    return { kind: "unauthenticated", reason: "missing application_token", name };
  }
  if (!secretsEqual(token, expectedToken)) {
    return { kind: "unauthenticated", reason: "application_token mismatch", name };
  }
  if (name === undefined) return { kind: "malformed", error: "missing or invalid field: event" };
  if (body.data !== undefined && !isRecord(body.data)) {
    return { kind: "malformed", error: "field data must be a set of data[…] fields" };
  }
  const event: BitrixEvent = { name, data: isRecord(body.data) ? body.data : {} };
  if (typeof body.ts === "string") event.ts = body.ts;
  if (typeof auth.domain === "string") event.domain = auth.domain;
  if (typeof auth.member_id === "string") event.memberId = auth.member_id;
  return { kind: "ok", event };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
