import { RestError } from "../errors.ts";
import type { ParamObject } from "../http/brackets.ts";
import { int, param, str } from "./params.ts";
import type { MethodContext, MethodOutput, MethodTable } from "./types.ts";

const MAX_ATTACH_CHARS = 60_000;

function checkAttach(params: ParamObject): void {
  const attach = param(params, "ATTACH");
  if (attach !== undefined && JSON.stringify(attach).length > MAX_ATTACH_CHARS) {
    throw new RestError(400, "ATTACH_OVERSIZE", "You have exceeded the maximum allowable size of attach");
  }
}

function notify(kind: "personal" | "notify") {
  return (params: ParamObject, ctx: MethodContext): MethodOutput => {
    const { state, clock } = ctx.runtime;
    const userId = int(param(params, "USER_ID"));
    if (!userId) throw new RestError(400, "USER_ID_EMPTY", "User ID can't be empty");
    const message = str(param(params, "MESSAGE")) ?? "";
    if (!message.trim()) throw new RestError(400, "MESSAGE_EMPTY", "Message can't be empty");
    checkAttach(params);
    if (!state.users.has(userId)) return { result: false };
    const id = state.nextId("notification", 0);
    const type = kind === "personal" ? "USER" : (str(param(params, "TYPE"))?.toUpperCase() ?? "USER");
    state.notifications.push({
      id,
      method: kind === "personal" ? "im.notify.personal.add" : "im.notify",
      at: clock.now(),
      fromUserId: ctx.auth.userId,
      toUserId: userId,
      type,
      message,
      messageOut: str(param(params, "MESSAGE_OUT")) ?? "",
      tag: str(param(params, "TAG")) ?? "",
      subTag: str(param(params, "SUB_TAG")) ?? "",
      attach: param(params, "ATTACH") ?? null,
    });
    return { result: id };
  };
}

function addMessage(params: ParamObject, ctx: MethodContext): MethodOutput {
  const { state, clock } = ctx.runtime;
  const dialogId = str(param(params, "DIALOG_ID")) ?? "";
  const message = str(param(params, "MESSAGE")) ?? "";
  if (!message.trim() && param(params, "ATTACH") === undefined) {
    throw new RestError(400, "MESSAGE_EMPTY", "Message can't be empty");
  }
  checkAttach(params);
  const isChat = /^(chat|sg)\d+$/.test(dialogId);
  if (!isChat && !state.users.has(int(dialogId) ?? 0)) {
    throw new RestError(400, "USER_NOT_FOUND", "User not found");
  }
  const id = state.nextId("message", 0);
  state.messages.push({
    id,
    at: clock.now(),
    fromUserId: ctx.auth.userId,
    dialogId,
    message,
    system: str(param(params, "SYSTEM")) === "Y",
    attach: param(params, "ATTACH") ?? null,
  });
  return { result: id };
}

export const imMethods: MethodTable = {
  "im.notify.personal.add": { handler: notify("personal") },
  "im.notify": { handler: notify("notify") },
  "im.message.add": { handler: addMessage },
};
