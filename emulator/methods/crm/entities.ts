import { notFound, RestError } from "../../errors.ts";
import type { ParamObject } from "../../http/brackets.ts";
import type { CrmKind, CrmPhone, CrmRecord } from "../../state/types.ts";
import { listPage, stringifyNumbers } from "../listing.ts";
import { int, list, obj, param, str } from "../params.ts";
import type { MethodContext, MethodOutput, MethodTable } from "../types.ts";

export function presentCrm(record: CrmRecord): unknown {
  return stringifyNumbers(record);
}

function phonesFrom(raw: ParamObject["x"], nextId: () => number): CrmPhone[] {
  return list(raw).map((item) => {
    const entry = typeof item === "object" && item !== null && !Array.isArray(item) ? item : { VALUE: item };
    return {
      ID: nextId(),
      VALUE_TYPE: str(entry.VALUE_TYPE) ?? "WORK",
      VALUE: str(entry.VALUE) ?? "",
      TYPE_ID: "PHONE" as const,
    };
  });
}

function getEntity(kind: CrmKind) {
  return (params: ParamObject, ctx: MethodContext): MethodOutput => {
    const id = int(param(params, "id"));
    if (!id || id <= 0) throw new RestError(400, "INVALID_ARGUMENT", "ID is not defined or invalid.");
    const record = ctx.runtime.state.crm[kind].get(id);
    if (!record) throw notFound();
    return { result: presentCrm(record) };
  };
}

function listEntities(kind: CrmKind) {
  return (params: ParamObject, ctx: MethodContext): MethodOutput =>
    listPage(ctx.runtime.state.crm[kind].values(), params, presentCrm);
}

function addEntity(kind: CrmKind) {
  return (params: ParamObject, ctx: MethodContext): MethodOutput => {
    const { state } = ctx.runtime;
    const fields = obj(param(params, "fields"));
    const id = state.nextId(kind);
    const record: CrmRecord = { ...(fields as Record<string, unknown>), ID: id, PHONE: [] };
    record.PHONE = phonesFrom(fields.PHONE ?? null, () => state.nextId("phone", 0));
    const assigned = int(fields.ASSIGNED_BY_ID ?? undefined);
    record.ASSIGNED_BY_ID = assigned ?? ctx.auth.userId;
    state.crm[kind].set(id, record);
    return { result: id };
  };
}

export const crmEntityMethods: MethodTable = {
  "crm.contact.get": { handler: getEntity("CONTACT") },
  "crm.contact.list": { handler: listEntities("CONTACT") },
  "crm.contact.add": { handler: addEntity("CONTACT") },
  "crm.lead.get": { handler: getEntity("LEAD") },
  "crm.lead.list": { handler: listEntities("LEAD") },
  "crm.lead.add": { handler: addEntity("LEAD") },
  "crm.company.get": { handler: getEntity("COMPANY") },
  "crm.company.list": { handler: listEntities("COMPANY") },
};
