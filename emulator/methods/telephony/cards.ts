import type { ParamObject } from "../../http/brackets.ts";
import type { CallRecord } from "../../state/types.ts";
import { int, list, param, str } from "../params.ts";
import type { MethodContext, MethodOutput } from "../types.ts";

/** finish hides the card from everyone who still sees it. */
export function hideAll(call: CallRecord, now: number): void {
  for (const userId of call.cardShownTo) call.cardLog.push({ action: "hide", userId, at: now });
  call.cardShownTo = [];
}

function targetUsers(params: ParamObject, call: CallRecord): number[] {
  const raw = param(params, "USER_ID");
  const ids = list(raw)
    .map((v) => int(v))
    .filter((v): v is number => v !== undefined && v > 0);
  return ids.length > 0 ? [...new Set(ids)] : [call.USER_ID];
}

function cardAction(action: "show" | "hide") {
  return (params: ParamObject, ctx: MethodContext): MethodOutput => {
    const callId = str(param(params, "CALL_ID")) ?? "";
    const call = ctx.runtime.state.calls.get(callId);
    if (!call || call.state !== "registered") return { result: false };
    const now = ctx.runtime.clock.now();
    for (const userId of targetUsers(params, call)) {
      call.cardLog.push({ action, userId, at: now });
      const visible = call.cardShownTo.includes(userId);
      if (action === "show" && !visible) call.cardShownTo.push(userId);
      if (action === "hide" && visible) call.cardShownTo = call.cardShownTo.filter((id) => id !== userId);
    }
    call.updatedAt = now;
    return { result: true };
  };
}

export const showCard = cardAction("show");
export const hideCard = cardAction("hide");
