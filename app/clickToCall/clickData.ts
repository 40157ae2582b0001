/** The fields of ONEXTERNALCALLSTART a click-to-call needs (contract §3), read from `data[…]`. Pure. */
export interface Click {
  /** The portal's CALL_ID: already registered, finished by the workers. */
  bxCallId: string;
  userId: number;
  /** The number as clicked (PHONE_NUMBER_INTERNATIONAL when the portal gives one). */
  phone: string;
}

export function readClick(data: Record<string, unknown>): Click | { error: string } {
  const bxCallId = str(data.CALL_ID);
  const userId = Number(str(data.USER_ID));
  const phone = str(data.PHONE_NUMBER_INTERNATIONAL) || str(data.PHONE_NUMBER);
  if (!bxCallId) return { error: "data[CALL_ID] is missing" };
  if (!Number.isInteger(userId) || userId <= 0) return { error: "data[USER_ID] is not a user id" };
  if (!/\d/.test(phone)) return { error: "data[PHONE_NUMBER] has no digits" };
  return { bxCallId, userId, phone };
}

function str(value: unknown): string {
  return typeof value === "string" ? value.trim() : "";
}
