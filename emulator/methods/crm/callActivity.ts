import { isoWithOffset } from "../../clock.ts";
import type { PortalState } from "../../state/portal.ts";
import type { CallRecord, CrmKind, FinishInfo } from "../../state/types.ts";
import { isOutgoing } from "../telephony/callRules.ts";

export const OWNER_TYPE_IDS: Record<CrmKind, number> = { LEAD: 1, CONTACT: 3, COMPANY: 4 };

/**
 * The CRM call activity finish creates for a call bound to a CRM entity. Missed incoming calls (no
 * duration) stay open (COMPLETED "N") so someone calls back; everything else is completed.
 */
export function createCallActivity(state: PortalState, call: CallRecord, fin: FinishInfo): number | null {
  if (!call.CRM_ENTITY_TYPE || !call.CRM_ENTITY_ID) return null;
  const outgoing = isOutgoing(call.TYPE);
  const startMs = Date.parse(call.CALL_START_DATE);
  const start = Number.isNaN(startMs) ? call.CALL_START_DATE : isoWithOffset(startMs);
  const end = Number.isNaN(startMs) ? start : isoWithOffset(startMs + fin.DURATION * 1000);
  const missed = !outgoing && fin.DURATION === 0;
  const id = state.nextId("activity", 0);
  state.activities.set(id, {
    ID: id,
    OWNER_TYPE_ID: OWNER_TYPE_IDS[call.CRM_ENTITY_TYPE],
    OWNER_ID: call.CRM_ENTITY_ID,
    TYPE_ID: 2,
    PROVIDER_ID: "VOXIMPLANT_CALL",
    PROVIDER_TYPE_ID: "CALL",
    ORIGIN_ID: `VI_${call.CALL_ID}`,
    ASSOCIATED_ENTITY_ID: 0,
    SUBJECT: outgoing ? `Outgoing call to ${call.PHONE_NUMBER}` : `Incoming call from ${call.PHONE_NUMBER}`,
    DIRECTION: outgoing ? 2 : 1,
    START_TIME: start,
    END_TIME: end,
    DEADLINE: start,
    COMPLETED: missed ? "N" : "Y",
    RESPONSIBLE_ID: fin.USER_ID,
    PRIORITY: 2,
    DESCRIPTION: fin.FAILED_REASON,
    SETTINGS: missed ? { MISSED_CALL: true } : {},
    COMMUNICATIONS: [{ TYPE: "PHONE", VALUE: call.PHONE_NUMBER }],
    CREATED: isoWithOffset(fin.finishedAt),
  });
  return id;
}
