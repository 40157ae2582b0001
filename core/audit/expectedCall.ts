import {
  isCrmCall,
  registerUser,
  responsibleUser,
  statusCode,
  talkDurationSec,
  type UserDirectory,
} from "../calls/decisions/index.ts";
import type { RebuiltCall } from "../records/buildCall.ts";
import type { ExpectedCall, JournalFacts } from "./compareCall.ts";

/** PURE: what the CRM should hold for a call rebuilt from Asterisk's records (the same decisions the workers make). */
export function expectedOf(
  rebuilt: RebuiltCall,
  directory: UserDirectory,
  options: { registerInternal: boolean; defaultUserId?: number | undefined },
): ExpectedCall {
  const { state } = rebuilt;
  const users = { defaultUserId: options.defaultUserId };
  const userId =
    responsibleUser(state, directory, users)?.userId ?? registerUser(state, directory, users)?.userId;
  return {
    callId: state.callId,
    startedAt: state.startedAt,
    direction: state.direction,
    clientNumber: state.clientNumber,
    complete: rebuilt.complete,
    forCrm: isCrmCall(state, { registerInternal: options.registerInternal }),
    ...(userId !== undefined ? { userId } : {}),
    status: statusCode(state),
    durationSec: talkDurationSec(state),
  };
}

/** PURE: the journal facts the audit reads, from the workers' journal JSON (unreadable counts as none). */
export function journalFactsOf(json: string | null): JournalFacts {
  if (!json) return { state: "none" };
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return { state: "none" };
  }
  const reason = (v: unknown) => {
    const r = (v as { reason?: unknown } | null)?.reason;
    return typeof r === "string" ? r : undefined;
  };
  const bxCallId =
    typeof j.bxCallId === "string"
      ? {
          bxCallId: j.bxCallId,
          ...(typeof j.portalCallAdoptedAt === "string" ? { portalCallId: j.bxCallId } : {}),
        }
      : {};
  if (j.failed) return { state: "failed", ...optional("reason", reason(j.failed)), ...bxCallId };
  if (j.skipped) return { state: "skipped", ...optional("reason", reason(j.skipped)) };
  if (typeof j.deliveredAt !== "string") return { state: "pending", ...bxCallId };
  const f = j.finish as { userId?: unknown; statusCode?: unknown; duration?: unknown } | undefined;
  const finish =
    f && typeof f.statusCode === "string"
      ? { finish: { userId: Number(f.userId), statusCode: f.statusCode, duration: Number(f.duration) } }
      : {};
  return { state: "delivered", ...bxCallId, ...finish };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
