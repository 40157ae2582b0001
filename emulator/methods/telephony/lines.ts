import { coreError } from "../../errors.ts";
import type { ParamObject } from "../../http/brackets.ts";
import type { PortalState } from "../../state/portal.ts";
import { param, str } from "../params.ts";
import type { MethodContext, MethodOutput } from "../types.ts";

function findLine(state: PortalState, appId: string | null, number: string) {
  return state.lines.find((l) => l.appId === appId && l.NUMBER === number);
}

/**
 * register inserts an unknown LINE_NUMBER as a line of the calling app ([S]). Auto-inserted lines get
 * CRM_AUTO_CREATE "N" (the source's default is not known), so they never create leads by themselves.
 */
export function ensureLine(state: PortalState, appId: string | null, number: string): void {
  if (findLine(state, appId, number)) return;
  state.lines.push({
    ID: state.nextId("line", 0),
    NUMBER: number,
    NAME: number,
    CRM_AUTO_CREATE: "N",
    appId,
  });
}

export function lineAutoCreates(state: PortalState, appId: string | null, number: string): boolean {
  return number !== "" && findLine(state, appId, number)?.CRM_AUTO_CREATE === "Y";
}

export function addLine(params: ParamObject, ctx: MethodContext): MethodOutput {
  const { state } = ctx.runtime;
  const number = str(param(params, "NUMBER"))?.trim() ?? "";
  if (!number) throw coreError("NUMBER should not be empty");
  if (findLine(state, ctx.auth.appId, number)) throw coreError("Line already exists");
  const autoCreate = str(param(params, "CRM_AUTO_CREATE"))?.toUpperCase() === "N" ? "N" : "Y";
  const ID = state.nextId("line", 0);
  const NAME = str(param(params, "NAME")) ?? "";
  state.lines.push({ ID, NUMBER: number, NAME, CRM_AUTO_CREATE: autoCreate, appId: ctx.auth.appId });
  return { result: { ID } };
}

export function getLines(_params: ParamObject, ctx: MethodContext): MethodOutput {
  const mine = ctx.runtime.state.lines.filter((l) => l.appId === ctx.auth.appId);
  return { result: mine.map(({ NUMBER, NAME, CRM_AUTO_CREATE }) => ({ NUMBER, NAME, CRM_AUTO_CREATE })) };
}
