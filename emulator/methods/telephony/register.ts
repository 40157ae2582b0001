import { isoWithOffset } from "../../clock.ts";
import type { ParamObject } from "../../http/brackets.ts";
import type { CallRecord } from "../../state/types.ts";
import { flag, int, param, str } from "../params.ts";
import type { MethodContext, MethodOutput } from "../types.ts";
import {
  checkStartDate,
  checkType,
  cleanPhoneNumber,
  isOutgoing,
  newCallId,
  reRegistrationKey,
  requestedUser,
  resolveUser,
  REREGISTER_WINDOW_MS,
} from "./callRules.ts";
import { bindCrm, type CrmBinding } from "./crmBinding.ts";
import { ensureLine, lineAutoCreates } from "./lines.ts";

function registerResult(call: CallRecord): Record<string, unknown> {
  const result: Record<string, unknown> = {
    CALL_ID: call.CALL_ID,
    CRM_CREATED_LEAD: call.CRM_CREATED_LEAD,
    CRM_CREATED_ENTITIES: call.CRM_CREATED_LEAD
      ? [{ ENTITY_TYPE: "LEAD", ENTITY_ID: call.CRM_CREATED_LEAD }]
      : [],
  };
  if (call.CRM_ENTITY_TYPE) {
    result.CRM_ENTITY_TYPE = call.CRM_ENTITY_TYPE;
    result.CRM_ENTITY_ID = call.CRM_ENTITY_ID;
  }
  return result;
}

/** The validated register request; throws the contract's ERROR_CORE texts in the documented order. */
function validate(params: ParamObject, ctx: MethodContext) {
  const wantedUser = requestedUser(params);
  const type = checkType(int(param(params, "TYPE")));
  const now = ctx.runtime.clock.now();
  const startDate = checkStartDate(str(param(params, "CALL_START_DATE")), isoWithOffset(now));
  const phone = cleanPhoneNumber(str(param(params, "PHONE_NUMBER")));
  const user = resolveUser(ctx.runtime.state, wantedUser);
  return { type, startDate, phone, user, now };
}

type Validated = ReturnType<typeof validate>;

function newCall(params: ParamObject, ctx: MethodContext, v: Validated, binding: CrmBinding): CallRecord {
  const show = flag(param(params, "SHOW"), 1);
  const { user, now } = v;
  return {
    CALL_ID: newCallId(now),
    EXTERNAL_CALL_ID: str(param(params, "EXTERNAL_CALL_ID")) ?? "",
    USER_ID: user.ID,
    USER_PHONE_INNER: str(param(params, "USER_PHONE_INNER")) ?? "",
    PHONE_NUMBER: v.phone,
    TYPE: v.type,
    LINE_NUMBER: str(param(params, "LINE_NUMBER")) ?? "",
    CALL_START_DATE: v.startDate,
    CRM_CREATE: flag(param(params, "CRM_CREATE"), 0),
    CRM_SOURCE: str(param(params, "CRM_SOURCE")) ?? "",
    CRM_ENTITY_TYPE: binding.type,
    CRM_ENTITY_ID: binding.id,
    CRM_CREATED_LEAD: binding.createdLead,
    SHOW: show,
    ADD_TO_CHAT: flag(param(params, "ADD_TO_CHAT"), 1),
    CALL_LIST_ID: int(param(params, "CALL_LIST_ID")) ?? 0,
    appId: ctx.auth.appId,
    internal: binding.internal,
    registeredAt: now,
    updatedAt: now,
    state: "registered",
    cardShownTo: show ? [user.ID] : [],
    cardLog: show ? [{ action: "show", userId: user.ID, at: now }] : [],
    finish: null,
    records: [],
  };
}

function bindingFor(params: ParamObject, ctx: MethodContext, v: Validated, line: string): CrmBinding {
  const { state } = ctx.runtime;
  const internal = state.activeUserByInner(v.phone) !== undefined;
  const autoCreate = v.type === 1 && lineAutoCreates(state, ctx.auth.appId, line);
  return bindCrm(state, {
    phone: v.phone,
    internal,
    explicitType: str(param(params, "CRM_ENTITY_TYPE")),
    explicitId: int(param(params, "CRM_ENTITY_ID")),
    create: flag(param(params, "CRM_CREATE"), 0) === 1 || autoCreate,
    source: str(param(params, "CRM_SOURCE")) ?? "",
    userId: v.user.ID,
    outgoing: isOutgoing(v.type),
  });
}

export function registerCall(params: ParamObject, ctx: MethodContext): MethodOutput {
  const { state } = ctx.runtime;
  const v = validate(params, ctx);
  const line = str(param(params, "LINE_NUMBER")) ?? "";
  const externalId = str(param(params, "EXTERNAL_CALL_ID")) ?? "";
  const key = reRegistrationKey({
    appId: ctx.auth.appId,
    phone: v.phone,
    type: v.type,
    userId: v.user.ID,
    line,
    externalId,
  });
  const previous = state.calls.get(state.callKeys.get(key) ?? "");
  if (previous && previous.state === "registered" && v.now - previous.registeredAt < REREGISTER_WINDOW_MS) {
    return { result: registerResult(previous) };
  }
  if (line) ensureLine(state, ctx.auth.appId, line);
  const call = newCall(params, ctx, v, bindingFor(params, ctx, v, line));
  state.calls.set(call.CALL_ID, call);
  state.callKeys.set(key, call.CALL_ID);
  return { result: registerResult(call) };
}
