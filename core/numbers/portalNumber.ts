/**
 * What Bitrix24 does with `PHONE_NUMBER` of `telephony.externalcall.register`, so the connector never
 * sends a number the portal refuses. From the portal's source (voximplant `Rest\Helper::
 * registerExternalCall` and `CVoxImplantPhone::stripLetters`): everything but ASCII `[0-9#*+,;]` is
 * removed, and an empty result (or `"0"`, which PHP also reads as false) is refused with "Unsupported
 * phone number format". The stripped number is what the call and its statistics record keep; the
 * statistics column is `varchar(20)`.
 */

/** Width of the portal's statistics `PHONE_NUMBER` column: a longer number is cut (or refused). */
export const PORTAL_PHONE_MAX_LENGTH = 20;

/** The portal's error text for a number it refuses. */
export const UNSUPPORTED_PHONE_NUMBER = "Unsupported phone number format";

/** The number as the portal keeps it: ASCII `[0-9#*+,;]` only. */
export function portalStrip(number: string): string {
  return number.replace(/[^0-9#*+,;]/g, "");
}

/** Whether register accepts this PHONE_NUMBER (something other than `"0"` survives the strip). */
export function portalAcceptsPhoneNumber(number: string): boolean {
  const kept = portalStrip(number);
  return kept !== "" && kept !== "0";
}

/** Whether a register error is the portal refusing PHONE_NUMBER. */
export function isPhoneNumberRefusal(description: string): boolean {
  return description.toLowerCase().includes(UNSUPPORTED_PHONE_NUMBER.toLowerCase());
}
