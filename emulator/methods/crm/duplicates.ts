import { RestError } from "../../errors.ts";
import type { ParamObject } from "../../http/brackets.ts";
import type { CrmKind } from "../../state/types.ts";
import { list, param, str } from "../params.ts";
import { crmMatches, CRM_PRIORITY } from "../phones.ts";
import type { MethodContext, MethodOutput } from "../types.ts";

const textError = (text: string): RestError => new RestError(400, text, text);
const MAX_VALUES = 20;

/**
 * crm.duplicate.findbycomm for PHONE (EMAIL is accepted and finds nothing: seed entities carry no email).
 * Nothing found → `[]` (PHP's empty array; the real shape is UNCONFIRMED).
 */
export function findByComm(params: ParamObject, ctx: MethodContext): MethodOutput {
  const type = str(param(params, "type"))?.toUpperCase();
  if (!type) throw textError("Communication type is not defined");
  if (type !== "PHONE" && type !== "EMAIL")
    throw textError(`Communication type '${type}' is not supported in current context`);
  const values = list(param(params, "values"))
    .map((v) => str(v) ?? "")
    .filter((v) => v !== "");
  if (values.length === 0) throw textError("Communication values is not defined");
  if (values.length > MAX_VALUES) throw textError(`Too many communication values (max ${MAX_VALUES})`);
  const entityType = str(param(params, "entity_type"))?.toUpperCase() as CrmKind | undefined;
  const kinds = entityType && CRM_PRIORITY.includes(entityType) ? [entityType] : CRM_PRIORITY;
  const found: Partial<Record<CrmKind, number[]>> = {};
  if (type === "PHONE") {
    for (const value of values) {
      for (const { kind, record } of crmMatches(ctx.runtime.state, value, kinds)) {
        const ids = (found[kind] ??= []);
        if (!ids.includes(record.ID)) ids.push(record.ID);
      }
    }
  }
  const crowded = Object.entries(found).find(([, ids]) => ids.length >= MAX_VALUES);
  if (crowded) return { result: { [crowded[0]]: crowded[1] } };
  return { result: Object.keys(found).length === 0 ? [] : found };
}
