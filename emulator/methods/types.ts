import type { AuthContext } from "../auth/authenticate.ts";
import type { ParamObject } from "../http/brackets.ts";
import type { Runtime } from "../runtime.ts";

export interface MethodContext {
  runtime: Runtime;
  auth: AuthContext;
}

export interface MethodOutput {
  result: unknown;
  total?: number;
  next?: number;
}

export type MethodHandler = (params: ParamObject, ctx: MethodContext) => MethodOutput | Promise<MethodOutput>;

export interface MethodSpec {
  handler: MethodHandler;
  /**
   * "telephony": app-only when webhookTelephony is off (register, finish, externalLine.*);
   * "app": never callable by a webhook (event.*).
   */
  authRule?: "telephony" | "app";
}

export type MethodTable = Record<string, MethodSpec>;

export const ok = (result: unknown): MethodOutput => ({ result });
