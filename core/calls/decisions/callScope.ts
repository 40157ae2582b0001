import type { CallState } from "../types.ts";

export interface CrmCallOptions {
  /** `crm.registerInternal`: register operator-to-operator calls too. */
  registerInternal: boolean;
}

/** Whether the call goes to the CRM at all: internal calls only when configured. */
export function isCrmCall(call: CallState, options: CrmCallOptions): boolean {
  return call.direction !== "internal" || options.registerInternal;
}

/** Whether the call has ended (time to `finish` it). */
export function callIsOver(call: CallState): boolean {
  return call.phase === "ended";
}
