import { percentile } from "../demo/crmCheck.ts";
import type { CrmCall } from "./check.ts";

/**
 * Reading the emulator's CRM (`GET /_emulator/state`) and the app's `/status` while the soak waits for
 * the last calls: incremental polls (`?since=`) merged by CALL_ID, so a long run does not pull the
 * whole request log every two seconds.
 */

export interface PortalRequest {
  method: string;
  at: number;
  status: number;
  batchSize?: number;
  durationMs?: number;
}

export interface PortalState {
  calls: CrmCall[];
  requests: PortalRequest[];
}

export class PortalWatch {
  private readonly calls = new Map<string, CrmCall>();
  private since: number | undefined;

  constructor(private readonly portalUrl: string) {}

  /** Calls updated since the last poll, merged in; returns every call seen so far. */
  async poll(): Promise<CrmCall[]> {
    const query = this.since === undefined ? "" : `?since=${this.since}`;
    const state = await fetchState(this.portalUrl, query);
    for (const c of state.calls) this.calls.set(c.CALL_ID, c);
    this.since = state.now;
    return [...this.calls.values()];
  }
}

export async function fullState(portalUrl: string): Promise<PortalState> {
  const s = await fetchState(portalUrl, "");
  return { calls: s.calls, requests: s.requests };
}

async function fetchState(portalUrl: string, query: string) {
  const res = await fetch(`${portalUrl}/_emulator/state${query}`);
  if (!res.ok) throw new Error(`emulator state: HTTP ${res.status}`);
  const body = (await res.json()) as { now: number; calls?: CrmCall[]; requests?: PortalRequest[] };
  return { now: body.now, calls: body.calls ?? [], requests: body.requests ?? [] };
}

/** Whether the lifecycle queue has nothing waiting, running or delayed (jobs left could still send). */
export async function queueIdle(statusUrl: string): Promise<boolean> {
  try {
    const s = (await (await fetch(statusUrl)).json()) as {
      queues?: { lifecycle?: { waiting?: number | null; active?: number | null; delayed?: number | null } };
    };
    const q = s.queues?.lifecycle;
    return (q?.waiting ?? 1) + (q?.active ?? 1) + (q?.delayed ?? 1) === 0;
  } catch {
    return false;
  }
}

/**
 * Requests the portal got, by kind (batches, uploads, single methods), how many were refused 503,
 * their rate while calls were placed (the standard plan drains 2 per second) and their own time.
 */
export function requestFigures(requests: readonly PortalRequest[], from: number, to: number) {
  const batches = requests.filter((r) => r.method === "batch");
  const inWindow = requests.filter((r) => r.at >= from && r.at <= to).length;
  const times = requests.flatMap((r) => (r.durationMs === undefined ? [] : [r.durationMs]));
  return {
    total: requests.length,
    batches: batches.length,
    commandsInBatches: batches.reduce((sum, r) => sum + (r.batchSize ?? 0), 0),
    uploads: requests.filter((r) => r.method === "upload").length,
    other: requests.filter((r) => r.method !== "batch" && r.method !== "upload").length,
    refused503: requests.filter((r) => r.status === 503).length,
    perSecondWhilePlacing: to > from ? (inWindow * 1000) / (to - from) : 0,
    p95RequestMs: percentile(times, 95),
  };
}
