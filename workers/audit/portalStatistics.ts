import type { PortalRecord } from "../../core/audit/compareCall.ts";
import type { CrmDelivery } from "../delivery/types.ts";
import { statisticCommand } from "../calls/commands.ts";
import { plannedGroup } from "../calls/plan.ts";

/**
 * The portal's call statistics of many calls (`voximplant.statistic.get` filtered by
 * EXTERNAL_CALL_ID — or, for a click-to-call, by the portal's CALL_ID — one command per call): the delivery's micro-batcher packs them into batches under
 * the cluster's rate limit, so an audit shares the budget with live calls instead of competing.
 */

/** The statistics could not be read (a held delivery, a portal without the method): the audit goes on without them. */
export class StatisticsUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StatisticsUnavailable";
  }
}

/** One call to look up: its call id, and the portal's CALL_ID of a click-to-call (see JournalFacts). */
export interface StatisticQuery {
  callId: string;
  portalCallId?: string;
}

export async function portalRecords(
  delivery: Pick<CrmDelivery, "send">,
  calls: StatisticQuery[],
): Promise<Map<string, PortalRecord[]>> {
  const answers = await Promise.all(
    calls.map(async ({ callId, portalCallId }) => {
      try {
        const command = statisticCommand(callId, portalCallId);
        const [result] = await delivery.send(plannedGroup(callId, "bulk", [command]));
        if (!result?.ok)
          throw new StatisticsUnavailable(
            result ? `${result.error.code}: ${result.error.description}` : "no answer",
          );
        return [callId, recordsOf({ callId, portalCallId }, result.result)] as const;
      } catch (err) {
        if (err instanceof StatisticsUnavailable) throw err;
        throw new StatisticsUnavailable((err as Error).message);
      }
    }),
  );
  return new Map(answers);
}

/** The records of this call: ours by EXTERNAL_CALL_ID, a click-to-call's by the portal's CALL_ID. */
function recordsOf(query: StatisticQuery, raw: unknown): PortalRecord[] {
  const list = Array.isArray(raw) ? raw : raw && typeof raw === "object" ? Object.values(raw) : [];
  const ours = (r: Record<string, unknown>) =>
    query.portalCallId ? r.CALL_ID === query.portalCallId : r.EXTERNAL_CALL_ID === query.callId;
  return (list as Record<string, unknown>[])
    .filter((r) => r && typeof r.CALL_ID === "string" && ours(r))
    .map((r) => ({
      callId: String(r.CALL_ID),
      ...num("userId", r.PORTAL_USER_ID),
      ...(r.CALL_FAILED_CODE !== undefined && r.CALL_FAILED_CODE !== null
        ? { status: String(r.CALL_FAILED_CODE) }
        : {}),
      ...num("durationSec", r.CALL_DURATION),
    }));
}

function num<K extends string>(key: K, value: unknown): Partial<Record<K, number>> {
  const n = Number(value);
  return value === undefined || value === null || value === "" || !Number.isFinite(n)
    ? {}
    : ({ [key]: n } as Record<K, number>);
}
