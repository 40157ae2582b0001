import { OFFLINE_POLL_COMPONENT, type OfflinePollView } from "../crm/offlinePollHealth.ts";

/** The offline event poll in `/status` (`crm.offlinePoll`), from the state the poller publishes. Pure. */

export interface OfflinePollReport {
  /** Set while polls fail (the portal away, 503, timeouts): clicks wait at the portal meanwhile. */
  failingSince: string | null;
  failures: number;
  lastError: string | null;
  lastOkAt: string | null;
  /** Events taken from the portal that wait for Redis. */
  heldEvents: number;
}

/** Polls failing longer than this are an error (clicks do not ring); before that a warning. */
export const OFFLINE_POLL_ERROR_SEC = 30;

/** The poller's published state (`core/crm/offlinePollHealth.ts`); null when no worker polls. */
export function offlinePollReport(
  heartbeats: Record<string, Record<string, unknown>>,
): OfflinePollReport | null {
  const view = heartbeats[OFFLINE_POLL_COMPONENT] as Partial<OfflinePollView> | undefined;
  if (!view) return null;
  const iso = (ms: unknown) => (typeof ms === "number" ? new Date(ms).toISOString() : null);
  return {
    failingSince: iso(view.failingSince),
    failures: typeof view.failures === "number" ? view.failures : 0,
    lastError: typeof view.lastError === "string" ? view.lastError : null,
    lastOkAt: iso(view.lastOkAt),
    heldEvents: typeof view.heldEvents === "number" ? view.heldEvents : 0,
  };
}

export function offlinePollProblem(
  poll: OfflinePollReport | null | undefined,
  now: number,
): { level: "warning" | "error"; text: string } | undefined {
  if (!poll?.failingSince) return undefined;
  const sec = Math.max(0, Math.round((now - Date.parse(poll.failingSince)) / 1000));
  return {
    level: sec > OFFLINE_POLL_ERROR_SEC ? "error" : "warning",
    text: `offline events: event.offline.get failing for ${sec} s (${poll.lastError}); clicks wait at the portal`,
  };
}
