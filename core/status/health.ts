import type { Config } from "../config/schema.ts";

/**
 * Container healthchecks (`docker-compose.yml`): the verdicts are pure so their rules are unit-tested;
 * `app/healthcheck.ts` and `workers/healthcheck.ts` do the I/O and exit 0 (healthy) or 1.
 */

export interface HealthVerdict {
  healthy: boolean;
  reason: string;
}

/** Where the app's own `/status` answers, from the configuration the app runs with. */
export function ownStatusUrl(http: Pick<Config["http"], "host" | "port">): string {
  const wildcard = http.host === "0.0.0.0" || http.host === "::" || http.host === "";
  const host = wildcard ? "127.0.0.1" : http.host.includes(":") ? `[${http.host}]` : http.host;
  return `http://${host}:${http.port}/status`;
}

/**
 * The app is healthy when `/status` answers 200 and its verdict is not `error` (Redis unreachable,
 * ARI disconnected, no worker seen, CRM auth failed or CRM unreachable). A warning is still healthy,
 * and so is an app whose ARI application was taken over by another instance (`app.state: replaced`).
 */
export function appHealth(httpStatus: number, body: unknown): HealthVerdict {
  if (httpStatus !== 200) return { healthy: false, reason: `/status answered HTTP ${httpStatus}` };
  const report = body as { status?: unknown; problems?: unknown } | null;
  const status = report?.status;
  if (status !== "ok" && status !== "warning" && status !== "error")
    return { healthy: false, reason: "/status did not return a status document" };
  const problems = Array.isArray(report?.problems) ? report.problems.join("; ") : "";
  // A replaced app is passive on purpose (another instance has the ARI application): restarting it
  // for being "unhealthy" would take the name back and start a fight between the two.
  const replaced = (report as { app?: { state?: unknown } } | null)?.app?.state === "replaced";
  if (status === "error" && replaced) return { healthy: true, reason: `passive: ${problems}` };
  if (status === "error") return { healthy: false, reason: `status error: ${problems}` };
  return { healthy: true, reason: problems ? `status ${status}: ${problems}` : `status ${status}` };
}

/**
 * A worker container is healthy when a worker process of this host (`worker:<host>:<pid>`, the
 * heartbeat that `/status` lists under `workers`) was seen within `withinMs`.
 */
export function workerHealth(
  heartbeats: Record<string, Record<string, unknown>>,
  host: string,
  now: number,
  withinMs = 30_000,
): HealthVerdict {
  const prefix = `worker:${host}:`;
  const ages = Object.entries(heartbeats)
    .filter(([id, info]) => id.startsWith(prefix) && typeof info.at === "number")
    .map(([, info]) => now - (info.at as number));
  if (ages.length === 0) return { healthy: false, reason: `no heartbeat of ${prefix}* in Redis` };
  const freshest = Math.max(0, Math.min(...ages));
  if (freshest > withinMs)
    return { healthy: false, reason: `last heartbeat of ${prefix}* is ${Math.round(freshest / 1000)} s old` };
  return { healthy: true, reason: `heartbeat ${Math.round(freshest / 1000)} s ago` };
}
