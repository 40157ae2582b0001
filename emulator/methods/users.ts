import type { ParamObject } from "../http/brackets.ts";
import type { UserRecord } from "../state/types.ts";
import { listPage, stringifyNumbers } from "./listing.ts";
import type { MethodContext, MethodOutput } from "./types.ts";

const NOT_FILTER_KEYS = new Set(["filter", "start", "sort", "order", "admin_mode", "auth", "access_token"]);

/** user.get takes FILTER, or filter fields at the top level (`user.get?ID=1`). */
function topLevelFilter(params: ParamObject): ParamObject {
  const filter: ParamObject = {};
  for (const [key, value] of Object.entries(params)) {
    if (!NOT_FILTER_KEYS.has(key.toLowerCase())) filter[key] = value;
  }
  return filter;
}

export function presentUser(user: UserRecord): unknown {
  return stringifyNumbers({ UF_PHONE_INNER: "", ...user });
}

export function getUsers(params: ParamObject, ctx: MethodContext): MethodOutput {
  return listPage(ctx.runtime.state.users.values(), params, presentUser, topLevelFilter(params));
}

export function currentUser(_params: ParamObject, ctx: MethodContext): MethodOutput {
  const user = ctx.runtime.state.users.get(ctx.auth.userId);
  return { result: user ? presentUser(user) : null };
}
