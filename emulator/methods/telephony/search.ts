import { coreError } from "../../errors.ts";
import type { ParamObject } from "../../http/brackets.ts";
import type { PortalState } from "../../state/portal.ts";
import type { CrmRecord } from "../../state/types.ts";
import { crmMatches } from "../phones.ts";
import { param, str } from "../params.ts";
import type { MethodContext, MethodOutput } from "../types.ts";

function displayName(record: CrmRecord): string {
  const person = [record.NAME, record.LAST_NAME].filter((p) => typeof p === "string" && p !== "").join(" ");
  return person || String(record.TITLE ?? "");
}

function assignee(state: PortalState, id: number | undefined) {
  const user = id !== undefined ? state.users.get(id) : undefined;
  if (!user) return null;
  return {
    ID: user.ID,
    TIMEMAN_STATUS: user.ACTIVE ? "OPENED" : "CLOSED",
    USER_PHONE_INNER: user.UF_PHONE_INNER ?? "",
    WORK_PHONE: String(user.WORK_PHONE ?? ""),
    PERSONAL_PHONE: String(user.PERSONAL_PHONE ?? ""),
    PERSONAL_MOBILE: String(user.PERSONAL_MOBILE ?? ""),
  };
}

export function searchCrmEntities(params: ParamObject, ctx: MethodContext): MethodOutput {
  const phone = str(param(params, "PHONE_NUMBER"))?.trim() ?? "";
  if (!phone) throw coreError("PHONE_NUMBER is empty");
  const { state } = ctx.runtime;
  const result = crmMatches(state, phone).map(({ kind, record }) => ({
    CRM_ENTITY_TYPE: kind,
    CRM_ENTITY_ID: record.ID,
    ASSIGNED_BY_ID: record.ASSIGNED_BY_ID ?? null,
    NAME: displayName(record),
    ASSIGNED_BY: assignee(state, record.ASSIGNED_BY_ID),
  }));
  return { result };
}
