import type { RequestHandler } from "express";
import { Registry } from "prom-client";
import { promRegistry } from "../../core/metrics/promMetrics.ts";
import { aggregateSnapshots, readSnapshots, type PromSnapshot } from "../../core/metrics/promSnapshots.ts";
import { statusRegistry, statusSeries } from "../../core/metrics/statusGauges.ts";
import { timeBoxed } from "../../core/status/statusProbes.ts";
import { DEFAULT_PROBE_TIMEOUT_MS } from "./statusRoute.ts";
import type { StatusReport } from "../../core/status/statusReport.ts";
import { secretsEqual } from "./secretCompare.ts";
import type { HttpDeps } from "./types.ts";

/** Heartbeats older than this are not scraped (a snapshot also expires by itself, see promSnapshots). */
const SNAPSHOT_SEEN_MS = 20_000;

/**
 * `GET /metrics`: Prometheus text format. This process's counters and histograms, summed with every
 * other process's snapshot (workers, other apps), plus gauges read from `/status` at scrape time. A
 * Redis outage still answers: this process's own figures and `itgrix_redis_up 0`.
 */
export function metricsHandler(deps: HttpDeps, report: () => Promise<StatusReport>): RequestHandler {
  return async (_req, res) => {
    const [own, others, status] = await Promise.all([
      promRegistry.getMetricsAsJSON(),
      // Redis away: a client that queues commands until it is back would hang the scrape.
      timeBoxed(() => otherSnapshots(deps), deps.statusProbeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS),
      report(),
    ]);
    const snapshots: PromSnapshot[] = others.ok ? others.value : [];
    const merged = Registry.merge([aggregateSnapshots(own, snapshots), statusRegistry(statusSeries(status))]);
    res.setHeader("Cache-Control", "no-store");
    res.type(merged.contentType).send(await merged.metrics());
  };
}

async function otherSnapshots(deps: HttpDeps): Promise<PromSnapshot[]> {
  const seen = await deps.metrics.seen(SNAPSHOT_SEEN_MS);
  return readSnapshots(deps.redis, deps.keys, Object.keys(seen));
}

/**
 * `/metrics` takes the admin credentials, or `Authorization: Bearer <http.metricsToken>` when that
 * key is set (a scraper then needs no admin password). Compared in constant time.
 */
export function metricsAuth(token: string | undefined, requireAdmin: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
    if (token && bearer !== undefined) {
      if (secretsEqual(bearer, token)) return next();
      res.status(401).json({ error: "bad metrics token" });
      return;
    }
    requireAdmin(req, res, next);
  };
}
