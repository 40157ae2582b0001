import { Counter, Gauge, Registry } from "prom-client";
import type { StatusReport } from "../status/statusReport.ts";

/**
 * The `/status` document as Prometheus gauges, computed at each scrape: what is true now (queue depth,
 * the oldest undelivered call, a delivery hold, Redis and ARI health) rather than counted by a process.
 * A value `/status` could not measure (null) has no sample, so an alert sees it as absent, not as 0.
 */

export interface StatusSeries {
  name: string;
  help: string;
  type: "gauge" | "counter";
  samples: { labels: Record<string, string>; value: number }[];
}

const LEVEL = { ok: 0, warning: 1, error: 2 } as const;
const QUEUE_STATES = ["waiting", "active", "delayed", "failed", "completed"] as const;

export function statusSeries(report: StatusReport): StatusSeries[] {
  const lifecycle = report.queues.lifecycle;
  const hold = report.crm.hold;
  const writes = report.redis.callWrites;
  const one = (v: number | null | undefined, labels: Record<string, string> = {}) =>
    v === null || v === undefined ? [] : [{ labels, value: v }];
  const flag = (v: boolean | null) => (v === null ? null : v ? 1 : 0);
  const series: StatusSeries[] = [
    gauge("itgrix_status_level", "Overall /status: 0 ok, 1 warning, 2 error", one(LEVEL[report.status])),
    gauge("itgrix_status_problems", "Problems /status lists", one(report.problems.length)),
    gauge(
      "itgrix_ari_connected",
      "1 while the app's ARI websocket is connected",
      one(flag(report.ari.connected)),
    ),
    counter(
      "itgrix_ari_reconnects_total",
      "ARI reconnections of this app process",
      one(report.ari.reconnects),
    ),
    gauge("itgrix_redis_up", "1 when Redis answers the app", one(flag(report.redis.reachable))),
    gauge(
      "itgrix_redis_latency_seconds",
      "Redis round trip seen by the app",
      one(report.redis.latencyMs === null ? null : report.redis.latencyMs / 1000),
    ),
    gauge(
      "itgrix_redis_call_writes_up",
      "1 while Redis confirms the app's call writes in time (0: new calls go to the dialplan)",
      one(writes ? (writes.redisUp ? 1 : 0) : null),
    ),
    gauge(
      "itgrix_redis_call_writes_pending",
      "Call writes Redis has not confirmed yet",
      one(writes?.pending),
    ),
    counter(
      "itgrix_calls_handed_to_dialplan_total",
      "New calls handed back to the dialplan because Redis was unreachable",
      one(writes?.handedToDialplan),
    ),
    gauge(
      "itgrix_queue_jobs",
      "Lifecycle jobs by state",
      QUEUE_STATES.flatMap((state) => one(lifecycle[state], { queue: "lifecycle", state })),
    ),
    gauge(
      "itgrix_queue_oldest_waiting_seconds",
      "Age of the oldest waiting lifecycle job",
      one(lifecycle.oldestWaitingAgeSec, { queue: "lifecycle" }),
    ),
    gauge("itgrix_workers_seen", "Worker processes with a recent heartbeat", one(report.workers.seen)),
    gauge("itgrix_active_calls", "Live calls in the app", one(report.calls.activeNow)),
    gauge(
      "itgrix_undelivered_calls",
      "Ended calls not yet in the CRM (nor failed or skipped)",
      one(report.calls.undelivered),
    ),
    gauge(
      "itgrix_undelivered_oldest_seconds",
      "Age of the oldest ended call not yet in the CRM",
      one(report.calls.oldestUndeliveredSec),
    ),
    gauge(
      "itgrix_failed_calls",
      "Calls failed for good, waiting for re-processing",
      one(report.calls.failedTotal),
    ),
    gauge(
      "itgrix_delivery_held",
      "1 while delivery to the portal is held (an admin must act)",
      one(hold ? 1 : 0),
    ),
    gauge(
      "itgrix_delivery_held_seconds",
      "How long the current delivery hold lasts, by cause",
      hold ? [{ labels: { reason: hold.cause, kind: hold.kind }, value: hold.heldSec }] : [],
    ),
    gauge(
      "itgrix_crm_auth",
      "Portal authorization state (1 for the current one)",
      report.crm.auth === null
        ? []
        : (["ok", "refreshing", "failed"] as const).map((state) => ({
            labels: { state },
            value: report.crm.auth === state ? 1 : 0,
          })),
    ),
    gauge(
      "itgrix_errors_last_hour",
      "Errors by code in the last 60 minutes, all processes (the /status errorsLastHour)",
      Object.entries(report.errorsLastHour).map(([code, value]) => ({ labels: { code }, value })),
    ),
  ];
  return series;
}

function gauge(name: string, help: string, samples: StatusSeries["samples"]): StatusSeries {
  return { name, help, type: "gauge", samples };
}

function counter(name: string, help: string, samples: StatusSeries["samples"]): StatusSeries {
  return { name, help, type: "counter", samples };
}

/** A fresh registry holding `series` (one per scrape: samples that vanished must not linger). */
export function statusRegistry(series: StatusSeries[]): Registry {
  const registry = new Registry();
  for (const s of series) {
    if (s.samples.length === 0) continue; // prom-client would print a label-less 0
    const labelNames = [...new Set(s.samples.flatMap((x) => Object.keys(x.labels)))];
    if (s.type === "gauge") {
      const g = new Gauge({ name: s.name, help: s.help, labelNames, registers: [registry] });
      for (const x of s.samples) g.set(x.labels, x.value);
    } else {
      const c = new Counter({ name: s.name, help: s.help, labelNames, registers: [registry] });
      for (const x of s.samples) c.inc(x.labels, x.value);
    }
  }
  return registry;
}
