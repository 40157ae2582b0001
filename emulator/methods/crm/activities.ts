import { RestError } from "../../errors.ts";
import type { ParamObject } from "../../http/brackets.ts";
import { listPage, stringifyNumbers } from "../listing.ts";
import { int, obj, param } from "../params.ts";
import type { MethodContext, MethodOutput, MethodTable } from "../types.ts";

const activityNotFound = (): RestError => new RestError(400, "ERROR_CORE", "Activity is not found");
const present = (record: Record<string, unknown>): unknown => stringifyNumbers(record);

function getActivity(params: ParamObject, ctx: MethodContext): MethodOutput {
  const activity = ctx.runtime.state.activities.get(int(param(params, "id")) ?? 0);
  if (!activity) throw activityNotFound();
  return { result: present(activity) };
}

function listActivities(params: ParamObject, ctx: MethodContext): MethodOutput {
  return listPage(ctx.runtime.state.activities.values(), params, present);
}

/** A call's DEADLINE follows its START_TIME (the docs say DEADLINE is not set directly). */
function updateActivity(params: ParamObject, ctx: MethodContext): MethodOutput {
  const activity = ctx.runtime.state.activities.get(int(param(params, "id")) ?? 0);
  if (!activity) throw activityNotFound();
  const fields = obj(param(params, "fields"));
  for (const [key, value] of Object.entries(fields)) {
    if (key === "ID" || key === "DEADLINE") continue;
    activity[key] = value;
  }
  if (typeof fields.START_TIME === "string") activity.DEADLINE = fields.START_TIME;
  return { result: true };
}

export const activityMethods: MethodTable = {
  "crm.activity.get": { handler: getActivity },
  "crm.activity.list": { handler: listActivities },
  "crm.activity.update": { handler: updateActivity },
};
