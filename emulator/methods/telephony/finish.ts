import { invalidArgument, coreError } from "../../errors.ts";
import type { ParamObject } from "../../http/brackets.ts";
import type { PortalState } from "../../state/portal.ts";
import type { CallRecord, FinishInfo, StatisticRecord } from "../../state/types.ts";
import { flag, int, num, param, str } from "../params.ts";
import type { MethodContext, MethodOutput } from "../types.ts";
import { createCallActivity } from "../crm/callActivity.ts";
import { requestedUser, resolveUser } from "./callRules.ts";
import { hideAll } from "./cards.ts";

const CALL_NOT_FOUND = "Call is not found (call should be registered prior to finishing)";

function finishInfo(params: ParamObject, userId: number, now: number): FinishInfo {
  const duration = Math.max(0, int(param(params, "DURATION")) ?? 0);
  const vote = int(param(params, "VOTE"));
  const recordUrl = str(param(params, "RECORD_URL"));
  return {
    USER_ID: userId,
    DURATION: duration,
    COST: num(param(params, "COST")) ?? 0,
    COST_CURRENCY: str(param(params, "COST_CURRENCY")) ?? "",
    STATUS_CODE: str(param(params, "STATUS_CODE")) || (duration > 0 ? "200" : "304"),
    FAILED_REASON: str(param(params, "FAILED_REASON")) ?? "",
    VOTE: vote && vote >= 1 && vote <= 5 ? vote : null,
    ADD_TO_CHAT: flag(param(params, "ADD_TO_CHAT"), 1),
    ...(recordUrl ? { RECORD_URL: recordUrl } : {}),
    finishedAt: now,
  };
}

function statisticRecord(state: PortalState, call: CallRecord, fin: FinishInfo, activityId: number | null) {
  const app = call.appId ? state.seed.apps.find((a) => a.clientId === call.appId) : undefined;
  const record: StatisticRecord = {
    ID: state.nextId("statistic", 0),
    CALL_ID: call.CALL_ID,
    EXTERNAL_CALL_ID: call.EXTERNAL_CALL_ID,
    PORTAL_USER_ID: fin.USER_ID,
    PHONE_NUMBER: call.PHONE_NUMBER,
    PORTAL_NUMBER: call.LINE_NUMBER || (call.appId ? `REST_APP:${call.appId}` : ""),
    INCOMING: call.TYPE,
    CALL_DURATION: fin.DURATION,
    CALL_START_DATE: call.CALL_START_DATE,
    CALL_STATUS: fin.DURATION > 0 ? 1 : 0,
    CALL_VOTE: fin.VOTE,
    COST: fin.COST,
    COST_CURRENCY: fin.COST_CURRENCY,
    CALL_FAILED_CODE: fin.STATUS_CODE,
    CALL_FAILED_REASON: fin.FAILED_REASON,
    REST_APP_ID: call.appId,
    REST_APP_NAME: app?.name ?? call.appId,
    CRM_ACTIVITY_ID: activityId,
    COMMENT: null,
    CRM_ENTITY_TYPE: call.CRM_ENTITY_TYPE,
    CRM_ENTITY_ID: call.CRM_ENTITY_ID,
    CALL_RECORD_ID: null,
    RECORD_FILE_ID: null,
  };
  return record;
}

/** finish: hides the card, creates the call activity and the statistics record, ends the live call. */
export function finishCall(params: ParamObject, ctx: MethodContext): MethodOutput {
  const { state, clock } = ctx.runtime;
  const callId = param(params, "CALL_ID");
  if (typeof callId !== "string") throw invalidArgument("CALL_ID must be a string");
  const wantedUser = requestedUser(params);
  const call = state.calls.get(callId);
  if (!call || call.state !== "registered") throw coreError(CALL_NOT_FOUND);
  const user = resolveUser(state, wantedUser);
  const now = clock.now();
  const fin = finishInfo(params, user.ID, now);
  hideAll(call, now);
  const createdLead = call.CRM_CREATED_LEAD ? state.crm.LEAD.get(call.CRM_CREATED_LEAD) : undefined;
  if (createdLead) createdLead.ASSIGNED_BY_ID = user.ID;
  const activityId = createCallActivity(state, call, fin);
  const record = statisticRecord(state, call, fin, activityId);
  state.statistics.set(call.CALL_ID, record);
  call.state = "finished";
  call.finish = fin;
  call.updatedAt = now;
  return { result: record };
}
