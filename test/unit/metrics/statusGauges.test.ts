import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { statusRegistry, statusSeries } from "../../../core/metrics/statusGauges.ts";
import type { StatusReport } from "../../../core/status/statusReport.ts";

function report(over: Partial<StatusReport> = {}): StatusReport {
  return {
    status: "warning",
    problems: ["delivery held"],
    generatedAt: "2026-01-01T10:00:00.000Z",
    app: { state: "running", pid: 1, uptimeSec: 5, version: "0.1.0" },
    ari: { connected: true, since: null, reconnects: 2, lastResyncAt: null },
    redis: {
      reachable: true,
      latencyMs: 3,
      appendonly: "yes",
      maxmemoryPolicy: "noeviction",
      callWrites: null,
    },
    queues: {
      lifecycle: { waiting: 4, active: 1, delayed: 0, failed: 0, completed: 10, oldestWaitingAgeSec: 7 },
    },
    workers: { seen: 2, list: [] },
    crm: {
      reachable: true,
      auth: "failed",
      lastSuccessAt: null,
      lastErrorCode: "INVALID_CREDENTIALS",
      hold: {
        cause: "INVALID_CREDENTIALS",
        kind: "credentials",
        description: "x",
        since: "2026-01-01T09:50:00.000Z",
        heldSec: 600,
        probes: 3,
        nextProbeInSec: 10,
        refusals: 1,
        heldSends: 4,
      },
      holdsLastHour: {},
      heldLastHour: {},
    },
    calls: {
      activeNow: 3,
      processedLastHour: 20,
      failedLastHour: 1,
      failedTotal: 5,
      undelivered: 6,
      oldestUndeliveredSec: 321,
      originateFailedLastHour: {},
    },
    crmEventsLastHour: {},
    errorsLastHour: { NETWORK: 2, QUERY_LIMIT_EXCEEDED: 1 },
    errors: { lastHour: { NETWORK: 2, QUERY_LIMIT_EXCEEDED: 1 }, lastDay: null, lastWeek: null },
    audit: null,
    hooks: { app: null, workers: null, lastHour: {} },
    ...over,
  };
}

describe("statusSeries: /status as Prometheus gauges", () => {
  it("given a held delivery and waiting jobs, then the exposition says so", async () => {
    const text = await statusRegistry(statusSeries(report())).metrics();
    for (const line of [
      "itgrix_status_level 1",
      "itgrix_ari_reconnects_total 2",
      "itgrix_redis_up 1",
      "itgrix_redis_latency_seconds 0.003",
      'itgrix_queue_jobs{queue="lifecycle",state="waiting"} 4',
      'itgrix_queue_oldest_waiting_seconds{queue="lifecycle"} 7',
      "itgrix_workers_seen 2",
      "itgrix_undelivered_oldest_seconds 321",
      "itgrix_delivery_held 1",
      'itgrix_delivery_held_seconds{reason="INVALID_CREDENTIALS",kind="credentials"} 600',
      'itgrix_crm_auth{state="failed"} 1',
      'itgrix_crm_auth{state="ok"} 0',
      'itgrix_errors_last_hour{code="NETWORK"} 2',
      "itgrix_failed_calls 5",
    ]) {
      assert.ok(text.split("\n").includes(line), `missing: ${line}\n${text}`);
    }
  });

  it("given values /status could not measure (Redis away), then no sample rather than a 0", async () => {
    const unknown = report({
      redis: { reachable: false, latencyMs: null, appendonly: null, maxmemoryPolicy: null, callWrites: null },
      queues: {
        lifecycle: {
          waiting: null,
          active: null,
          delayed: null,
          failed: null,
          completed: null,
          oldestWaitingAgeSec: null,
        },
      },
      calls: {
        activeNow: 0,
        processedLastHour: null,
        failedLastHour: null,
        failedTotal: null,
        undelivered: null,
        oldestUndeliveredSec: null,
        originateFailedLastHour: {},
      },
      crm: { ...report().crm, hold: null, auth: null },
    });
    const text = await statusRegistry(statusSeries(unknown)).metrics();
    assert.match(text, /^itgrix_redis_up 0$/m);
    assert.match(text, /^itgrix_delivery_held 0$/m);
    for (const absent of [
      "itgrix_undelivered_oldest_seconds",
      "itgrix_queue_jobs",
      "itgrix_redis_latency_seconds",
      "itgrix_delivery_held_seconds",
      "itgrix_crm_auth",
    ]) {
      assert.doesNotMatch(text, new RegExp(`^${absent}[ {]`, "m"), `${absent} must have no sample`);
    }
  });
});
