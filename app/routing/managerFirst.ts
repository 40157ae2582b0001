import type { ManagerLookup } from "../../core/crmLookup/protocol.ts";

/** Work-day states in which a manager is not rung first (Bitrix24 TIMEMAN_STATUS). */
const OFF_WORK = new Set(["CLOSED", "PAUSED", "EXPIRED"]);

export interface ManagerFirstInput {
  /** Operator extensions the PBX knows (routing.operators and group members). */
  operators: readonly string[];
  /** The CRM number of an extension (numbers.userRewrite), to match `USER_PHONE_INNER`. */
  crmNumberOf: (extension: string) => string;
  respectWorkTime: boolean;
}

export type ManagerFirstDecision =
  | { ring: true; extension: string; userId: number }
  | {
      ring: false;
      reason: "lookupTimeout" | "lookupFailed" | "noManager" | "noExtension" | "notOperator" | "offWork";
    };

/**
 * Whether to ring the caller's CRM manager before the group, and on which extension. Pure. Whether
 * the manager's phone is busy or unregistered is the hunt's business (such a leg is skipped and the
 * group rings at once).
 */
export function decideManagerFirst(
  outcome: { kind: "answer"; lookup: ManagerLookup } | { kind: "timeout" } | { kind: "error" },
  input: ManagerFirstInput,
): ManagerFirstDecision {
  if (outcome.kind === "timeout") return { ring: false, reason: "lookupTimeout" };
  if (outcome.kind === "error") return { ring: false, reason: "lookupFailed" };
  const { lookup } = outcome;
  if (!lookup.found || lookup.userId === undefined) return { ring: false, reason: "noManager" };
  if (!lookup.inner) return { ring: false, reason: "noExtension" };
  const extension = input.operators.find((ext) => input.crmNumberOf(ext) === lookup.inner);
  if (extension === undefined) return { ring: false, reason: "notOperator" };
  if (input.respectWorkTime && lookup.workStatus && OFF_WORK.has(lookup.workStatus)) {
    return { ring: false, reason: "offWork" };
  }
  return { ring: true, extension, userId: lookup.userId };
}
