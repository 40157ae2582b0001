import type { CallState } from "../../core/calls/types.ts";
import type { CrmCommand, ParamValue, ResultRef } from "../delivery/types.ts";

/** Bitrix24 methods the call reconciler uses (the portal matches method names case-insensitively). */
export const METHOD = {
  register: "telephony.externalcall.register",
  show: "telephony.externalcall.show",
  hide: "telephony.externalcall.hide",
  finish: "telephony.externalcall.finish",
  attachRecord: "telephony.externalcall.attachrecord",
  statistic: "voximplant.statistic.get",
} as const;

export type StepMethod = (typeof METHOD)[keyof typeof METHOD];

export function sameMethod(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The journal steps of the reconciler's own methods. */
export type CoreStep = "register" | "cards" | "finish" | "record" | "statistic";

const STEP_OF_METHOD = new Map<string, CoreStep>([
  [METHOD.register, "register"],
  [METHOD.show, "cards"],
  [METHOD.hide, "cards"],
  [METHOD.finish, "finish"],
  [METHOD.attachRecord, "record"],
  [METHOD.statistic, "statistic"],
]);

/**
 * The journal step of one of the reconciler's methods, mapped explicitly: any other method (a
 * customization's `crm.activity.update`, …) is undefined — it is journaled by its own key, never
 * mistaken for a card command.
 */
export function stepOfMethod(method: string): CoreStep | undefined {
  return STEP_OF_METHOD.get(method.toLowerCase());
}

/**
 * Bitrix24 TYPE: 2 incoming, 1 outgoing (an internal call is registered as the caller's outgoing
 * call), 4 callback (the CRM's callback form).
 */
export function callType(call: CallState): number {
  if (call.direction === "callback") return 4;
  return call.direction === "inbound" ? 2 : 1;
}

/** ISO-8601 with an explicit offset and no milliseconds, the form the portal documents. */
export function portalDate(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, "+00:00");
}

export interface RegisterInput {
  userId: number;
  phoneNumber: string;
  createLeads: boolean;
  /** LINE_NUMBER (default: the call's line; the resolveLine hook may give another). */
  lineNumber?: string;
}

export function registerCommand(call: CallState, input: RegisterInput): CrmCommand {
  return {
    method: METHOD.register,
    params: {
      USER_ID: input.userId,
      PHONE_NUMBER: input.phoneNumber,
      TYPE: callType(call),
      EXTERNAL_CALL_ID: call.callId,
      LINE_NUMBER: input.lineNumber ?? call.lineNumber,
      CALL_START_DATE: portalDate(call.startedAt),
      CRM_CREATE: input.createLeads ? 1 : 0,
      SHOW: 0,
    },
  };
}

/** The call's Bitrix24 CALL_ID: a known one, or a reference to the register earlier in the group. */
export type CallIdParam = string | ResultRef;

export function refToRegister(index: number): ResultRef {
  return { $ref: index, path: ["CALL_ID"] };
}

export function cardCommand(kind: "show" | "hide", callId: CallIdParam, userIds: number[]): CrmCommand {
  return { method: METHOD[kind], params: { CALL_ID: callId, USER_ID: userIds } };
}

export interface FinishInput {
  userId: number;
  duration: number;
  statusCode: string;
  addToChat: boolean;
  /** Why the call never connected (decoded originate failure), sent as FAILED_REASON. */
  failedReason?: string;
}

export function finishCommand(callId: CallIdParam, input: FinishInput): CrmCommand {
  return {
    method: METHOD.finish,
    params: {
      CALL_ID: callId,
      USER_ID: input.userId,
      DURATION: input.duration,
      STATUS_CODE: input.statusCode,
      ADD_TO_CHAT: input.addToChat ? 1 : 0,
      ...(input.failedReason ? { FAILED_REASON: input.failedReason } : {}),
    },
  };
}

/** finish with parameters a customization may have changed (beforeFinish); CALL_ID is the connector's. */
export function finishCommandWith(callId: CallIdParam, params: Record<string, ParamValue>): CrmCommand {
  return { method: METHOD.finish, params: { ...params, CALL_ID: callId } };
}

export function attachRecordCommand(callId: string, fileName: string): CrmCommand {
  return { method: METHOD.attachRecord, params: { CALL_ID: callId, FILENAME: fileName } };
}

/** attachRecord by link: the portal downloads the file itself, so the command is all it takes. */
export function attachRecordUrlCommand(callId: string, recordUrl: string, fileName: string): CrmCommand {
  return {
    method: METHOD.attachRecord,
    params: { CALL_ID: callId, RECORD_URL: recordUrl, FILENAME: fileName },
  };
}

/** The statistics of one call: by our EXTERNAL_CALL_ID, or by the portal's CALL_ID when given. */
export function statisticCommand(externalCallId: string, portalCallId?: string): CrmCommand {
  const filter: Record<string, ParamValue> = portalCallId
    ? { CALL_ID: portalCallId }
    : { EXTERNAL_CALL_ID: externalCallId };
  return { method: METHOD.statistic, params: { FILTER: filter } };
}

/** USER_ID of a show/hide/register/finish command as a list of numbers. */
export function userIdsOf(command: CrmCommand): number[] {
  const raw: ParamValue | undefined = command.params.USER_ID;
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((v) => Number(v)).filter((n) => Number.isInteger(n) && n > 0);
}
