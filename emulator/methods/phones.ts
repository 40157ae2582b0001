import type { PortalState } from "../state/portal.ts";
import type { CrmKind, CrmRecord } from "../state/types.ts";

export const digitsOf = (phone: string): string => phone.replace(/\D/g, "");

/**
 * Phone matching key: the last 10 digits, so +7 495…, 8 495… and 495… are the same number.
 * (The portal normalises numbers with its own rules; 10 digits is close enough for the emulator.)
 */
export function phoneKey(phone: string): string {
  return digitsOf(phone).slice(-10);
}

export function samePhone(a: string, b: string): boolean {
  const ka = phoneKey(a);
  return ka !== "" && ka === phoneKey(b);
}

export const CRM_PRIORITY: CrmKind[] = ["CONTACT", "COMPANY", "LEAD"];

export function crmMatches(state: PortalState, phone: string, kinds: CrmKind[] = CRM_PRIORITY) {
  const found: { kind: CrmKind; record: CrmRecord }[] = [];
  for (const kind of kinds) {
    for (const record of state.crm[kind].values()) {
      if (record.PHONE.some((p) => samePhone(p.VALUE, phone))) found.push({ kind, record });
    }
  }
  return found;
}
