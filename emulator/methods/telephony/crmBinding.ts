import type { PortalState } from "../../state/portal.ts";
import type { CrmKind } from "../../state/types.ts";
import { crmMatches } from "../phones.ts";

export interface CrmBinding {
  type: CrmKind | null;
  id: number | null;
  createdLead: number | null;
  internal: boolean;
}

const KINDS: CrmKind[] = ["CONTACT", "COMPANY", "LEAD"];

export interface BindingRequest {
  phone: string;
  internal: boolean;
  explicitType?: string;
  explicitId?: number;
  create: boolean;
  source: string;
  userId: number;
  outgoing: boolean;
}

/**
 * An explicit CRM_ENTITY_TYPE/ID wins (when it exists); otherwise the first phone match in the order
 * contact, company, lead; otherwise a new lead when creation is asked for. Internal calls bind nothing.
 */
export function bindCrm(state: PortalState, req: BindingRequest): CrmBinding {
  const none: CrmBinding = { type: null, id: null, createdLead: null, internal: req.internal };
  if (req.internal) return none;
  const explicitType = req.explicitType?.toUpperCase() as CrmKind | undefined;
  if (
    explicitType &&
    KINDS.includes(explicitType) &&
    req.explicitId &&
    state.crm[explicitType].has(req.explicitId)
  ) {
    return { ...none, type: explicitType, id: req.explicitId };
  }
  const match = crmMatches(state, req.phone)[0];
  if (match) return { ...none, type: match.kind, id: match.record.ID };
  if (!req.create) return none;
  const id = state.nextId("LEAD");
  const verb = req.outgoing ? "Outgoing call to" : "Incoming call from";
  state.crm.LEAD.set(id, {
    ID: id,
    TITLE: `${verb} ${req.phone}`,
    PHONE: [{ ID: state.nextId("phone", 0), VALUE_TYPE: "WORK", VALUE: req.phone, TYPE_ID: "PHONE" }],
    ASSIGNED_BY_ID: req.userId,
    SOURCE_ID: req.source || "CALL",
    STATUS_ID: "NEW",
    DATE_CREATE: new Date().toISOString(),
  });
  return { ...none, type: "LEAD", id, createdLead: id };
}
