import { createHash } from "node:crypto";

/** ONEXTERNALCALLBACKSTART as the app uses it (contract §3): there is no USER_ID and no CALL_ID. */
export interface CallbackRequest {
  /** The visitor's number as the form gave it. */
  phoneNumber: string;
  /** The callback line (`LINE_NUMBER`); may be empty. */
  lineNumber: string;
  /** What the form wants the employee to hear (no TTS here: logged, see docs). */
  text: string;
  crmEntityType?: string;
  crmEntityId?: string;
}

export const CALLBACK_EVENT = "ONEXTERNALCALLBACKSTART";

/** The form's `data[…]` fields → a request, or why it cannot be called back. Pure. */
export function parseCallbackData(
  data: Record<string, unknown>,
): { ok: true; request: CallbackRequest } | { ok: false; error: string } {
  const text = (key: string): string => (typeof data[key] === "string" ? (data[key] as string).trim() : "");
  const phoneNumber = text("PHONE_NUMBER");
  if (!/\d/.test(phoneNumber)) return { ok: false, error: "data[PHONE_NUMBER] has no digits" };
  const request: CallbackRequest = { phoneNumber, lineNumber: text("LINE_NUMBER"), text: text("TEXT") };
  if (text("CRM_ENTITY_TYPE")) request.crmEntityType = text("CRM_ENTITY_TYPE");
  if (text("CRM_ENTITY_ID")) request.crmEntityId = text("CRM_ENTITY_ID");
  return { ok: true, request };
}

/**
 * The dedupe key of a callback: the normalised number on its line. The same visitor asking again on
 * the same line within the window — or the same event delivered twice, online and offline — is one
 * callback.
 */
export function callbackDedupeKey(normalisedNumber: string, lineNumber: string): string {
  return createHash("sha1").update(`${normalisedNumber}\n${lineNumber}`).digest("hex").slice(0, 20);
}
