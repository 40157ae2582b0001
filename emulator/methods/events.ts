import { isoWithOffset } from "../clock.ts";
import { RestError } from "../errors.ts";
import type { ParamObject } from "../http/brackets.ts";
import { randomBytes } from "node:crypto";
import { flag, int, param, str } from "./params.ts";
import type { MethodContext, MethodOutput, MethodTable } from "./types.ts";

export const KNOWN_EVENTS = new Set([
  "ONEXTERNALCALLSTART",
  "ONEXTERNALCALLBACKSTART",
  "ONAPPINSTALL",
  "ONAPPUNINSTALL",
  "ONAPPUPDATE",
  "ONCRMCONTACTADD",
  "ONCRMCONTACTUPDATE",
  "ONCRMLEADADD",
  "ONCRMLEADUPDATE",
  "ONCRMACTIVITYADD",
  "ONCRMACTIVITYUPDATE",
  "ONVOXIMPLANTCALLEND",
]);

function isAdmin(ctx: MethodContext): boolean {
  const user = ctx.runtime.state.users.get(ctx.auth.userId);
  return ctx.auth.userId === 1 || user?.ADMIN === true;
}

function bind(params: ParamObject, ctx: MethodContext): MethodOutput {
  const event = str(param(params, "event"))?.toUpperCase() ?? "";
  if (!KNOWN_EVENTS.has(event)) throw new RestError(400, "ERROR_EVENT_NOT_FOUND", "Event not found");
  const offline = str(param(params, "event_type"))?.toLowerCase() === "offline";
  const handler = str(param(params, "handler")) ?? "";
  if (!offline && !/^https?:\/\//i.test(handler))
    throw new RestError(400, "ERROR_CORE", "Handler is invalid");
  const authType = int(param(params, "auth_type")) ?? 0;
  if ((offline || (authType !== 0 && authType !== ctx.auth.userId)) && !isAdmin(ctx)) {
    throw new RestError(403, "ACCESS_DENIED", "Access denied");
  }
  const { bindings } = ctx.runtime.state;
  const appId = ctx.auth.appId ?? "";
  const same = (b: (typeof bindings)[number]) =>
    b.appId === appId && b.event === event && b.handler === handler;
  if (bindings.some((b) => same(b) && b.offline === offline)) {
    throw new RestError(400, "ERROR_CORE", "Handler already binded");
  }
  bindings.push({ event, handler, auth_type: authType, offline, appId });
  return { result: true };
}

function getBindings(_params: ParamObject, ctx: MethodContext): MethodOutput {
  const mine = ctx.runtime.state.bindings.filter((b) => b.appId === (ctx.auth.appId ?? ""));
  return {
    result: mine.map((b) => ({
      event: b.event,
      handler: b.handler,
      auth_type: String(b.auth_type),
      offline: b.offline ? 1 : 0,
    })),
  };
}

function unbind(params: ParamObject, ctx: MethodContext): MethodOutput {
  const { state } = ctx.runtime;
  const event = str(param(params, "event"))?.toUpperCase() ?? "";
  const handler = str(param(params, "handler"));
  const offline = str(param(params, "event_type"))?.toLowerCase() === "offline";
  const authType = int(param(params, "auth_type")) ?? 0;
  const before = state.bindings.length;
  state.bindings = state.bindings.filter(
    (b) =>
      !(
        b.appId === (ctx.auth.appId ?? "") &&
        b.event === event &&
        (handler === undefined || b.handler === handler) &&
        b.offline === offline &&
        b.auth_type === authType
      ),
  );
  return { result: { count: before - state.bindings.length } };
}

/** event.offline.get: clear=1 (default) removes what it returns; clear=0 marks it with a process_id. */
function offlineGet(params: ParamObject, ctx: MethodContext): MethodOutput {
  const { state } = ctx.runtime;
  const appId = ctx.auth.appId ?? "";
  const limit = Math.min(1000, Math.max(1, int(param(params, "limit")) ?? 50));
  const clear = flag(param(params, "clear"), 1) === 1;
  const processId = randomBytes(16).toString("hex");
  const picked = state.offlineEvents.filter((e) => e.appId === appId && e.processId === null).slice(0, limit);
  if (clear) state.offlineEvents = state.offlineEvents.filter((e) => !picked.includes(e));
  else for (const e of picked) e.processId = processId;
  const events = picked.map(({ appId: _a, processId: _p, ...event }) => event);
  return { result: { process_id: picked.length > 0 ? processId : null, events } };
}

function offlineClear(params: ParamObject, ctx: MethodContext): MethodOutput {
  const { state } = ctx.runtime;
  const processId = str(param(params, "process_id")) ?? "";
  state.offlineEvents = state.offlineEvents.filter((e) => e.processId !== processId || processId === "");
  return { result: true };
}

export function offlineTimestamp(ms: number): string {
  return isoWithOffset(ms);
}

export const eventMethods: MethodTable = {
  "event.bind": { handler: bind, authRule: "app" },
  "event.get": { handler: getBindings, authRule: "app" },
  "event.unbind": { handler: unbind, authRule: "app" },
  "event.offline.get": { handler: offlineGet, authRule: "app" },
  "event.offline.clear": { handler: offlineClear, authRule: "app" },
};
