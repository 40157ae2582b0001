import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  aggregateCrm,
  buildStatusReport,
  errorsByCode,
  type StatusInputs,
} from "../../../core/status/statusReport.ts";

const NOW = Date.parse("2025-06-01T12:00:00.000Z");

function healthy(overrides: Partial<StatusInputs> = {}): StatusInputs {
  return {
    now: NOW,
    process: { pid: 42, uptimeSec: 10, version: "0.1.0" },
    app: { state: "running", ariConnected: true, ariReconnects: 0, activeCalls: 2 },
    redis: { reachable: true, latencyMs: 0.4 },
    queue: { ok: true, value: { waiting: 0, active: 1, delayed: 0, failed: 0, completed: 9 } },
    heartbeats: {
      ok: true,
      value: {
        "worker:h:1": { at: NOW - 3000, inFlight: 1, crm: { auth: "ok", lastSuccessAt: NOW - 1000 } },
      },
    },
    lastHour: { ok: true, value: { "calls.processed": 5 } },
    failedTotal: { ok: true, value: 0 },
    ...overrides,
  };
}

describe("buildStatusReport", () => {
  it("given originate failures and Bitrix24 events counted, then both are listed by reason / name", () => {
    const r = buildStatusReport(
      healthy({
        lastHour: {
          ok: true,
          value: {
            "originate.failed.unregistered": 2,
            "originate.failed.busy": 1,
            "events.ONEXTERNALCALLSTART": 3,
            "events.duplicate": 1,
          },
        },
      }),
    );
    assert.deepEqual(r.calls.originateFailedLastHour, { busy: 1, unregistered: 2 });
    assert.deepEqual(r.crmEventsLastHour, { duplicate: 1, ONEXTERNALCALLSTART: 3 });
  });

  it("given everything healthy, then status ok and no problems", () => {
    const r = buildStatusReport(healthy());
    assert.equal(r.status, "ok");
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.workers, { seen: 1, list: [{ id: "worker:h:1", lastSeenSec: 3, inFlight: 1 }] });
    assert.deepEqual(r.calls, {
      activeNow: 2,
      processedLastHour: 5,
      failedLastHour: 0,
      failedTotal: 0,
      undelivered: null,
      oldestUndeliveredSec: null,
      originateFailedLastHour: {},
    });
    assert.equal(r.queues.lifecycle.oldestWaitingAgeSec, 0);
    assert.equal(r.crm.lastSuccessAt, new Date(NOW - 1000).toISOString());
  });

  it("given workers report undelivered calls, then calls shows the newest report, its age carried to now", () => {
    const r = buildStatusReport(
      healthy({
        heartbeats: {
          ok: true,
          value: {
            "worker:h:1": { at: NOW - 4000, calls: { undelivered: 9, oldestUndeliveredSec: 100 } },
            "worker:h:2": { at: NOW - 2000, calls: { undelivered: 3, oldestUndeliveredSec: 150 } },
            "worker:h:3": { at: NOW - 1000 },
          },
        },
      }),
    );
    assert.equal(r.calls.undelivered, 3);
    assert.equal(r.calls.oldestUndeliveredSec, 152);
    assert.equal(r.status, "ok", "two minutes is the sweeper's normal delay");
  });

  it("given an ended call has waited over 15 minutes for the CRM, then a warning names it", () => {
    const r = buildStatusReport(
      healthy({
        heartbeats: {
          ok: true,
          value: { "worker:h:1": { at: NOW - 1000, calls: { undelivered: 1, oldestUndeliveredSec: 1000 } } },
        },
      }),
    );
    assert.equal(r.status, "warning");
    assert.ok(r.problems.some((p) => p.includes("1001 s for the CRM")));
  });

  it("given ARI disconnected while running, then error", () => {
    const r = buildStatusReport(
      healthy({ app: { state: "reconnecting", ariConnected: false, ariReconnects: 3, activeCalls: 0 } }),
    );
    assert.equal(r.status, "error");
    assert.ok(r.problems.includes("ARI disconnected"));
  });

  it("given the app still starting, then ARI not yet connected is only a warning", () => {
    const r = buildStatusReport(
      healthy({ app: { state: "starting", ariConnected: false, ariReconnects: 0, activeCalls: 0 } }),
    );
    assert.equal(r.status, "warning");
  });

  it("given no worker heartbeat, then error 'no worker seen'", () => {
    const r = buildStatusReport(healthy({ heartbeats: { ok: true, value: { app: { at: NOW } } } }));
    assert.equal(r.workers.seen, 0);
    assert.equal(r.status, "error");
    assert.ok(r.problems.some((p) => p.startsWith("no worker seen")));
  });

  it("given a waiting job older than 60 s, then warning with its age", () => {
    const value = {
      waiting: 3,
      active: 0,
      delayed: 0,
      failed: 0,
      completed: 0,
      oldestWaitingReadyAt: NOW - 61_000,
    };
    const r = buildStatusReport(healthy({ queue: { ok: true, value } }));
    assert.equal(r.queues.lifecycle.oldestWaitingAgeSec, 61);
    assert.equal(r.status, "warning");
    assert.deepEqual(r.problems, ["oldest waiting lifecycle job is 61 s old"]);
  });

  it("given Redis unreachable, then error and every Redis-backed number is null", () => {
    const down = { ok: false as const, error: "Redis unreachable" };
    const r = buildStatusReport(
      healthy({
        redis: { reachable: false, latencyMs: null, error: "connection reconnecting" },
        queue: down,
        heartbeats: down,
        lastHour: down,
        failedTotal: down,
      }),
    );
    assert.equal(r.status, "error");
    assert.deepEqual(r.problems, ["Redis unreachable (connection reconnecting)"]);
    assert.equal(r.workers.seen, null);
    assert.equal(r.queues.lifecycle.waiting, null);
    assert.equal(r.calls.failedTotal, null);
    assert.deepEqual(r.errorsLastHour, {});
  });

  it("given a probe timing out while Redis answers, then a warning naming the probe", () => {
    const r = buildStatusReport(healthy({ lastHour: { ok: false, error: "timed out after 1000 ms" } }));
    assert.equal(r.status, "warning");
    assert.deepEqual(r.problems, ["metrics probe failed: timed out after 1000 ms"]);
    assert.equal(r.calls.processedLastHour, null);
  });

  it("given failed calls in the last hour, then a warning with the count", () => {
    const r = buildStatusReport(
      healthy({ lastHour: { ok: true, value: { "calls.failed": 2, "errors.NETWORK": 4 } } }),
    );
    assert.deepEqual(r.problems, ["2 call(s) failed in the last hour"]);
    assert.deepEqual(r.errorsLastHour, { NETWORK: 4 });
  });
});

describe("aggregateCrm", () => {
  const w = (crm: Record<string, unknown>): [string, Record<string, unknown>] => ["worker:x", { crm }];

  it("given no workers, then everything unknown", () => {
    assert.deepEqual(aggregateCrm([]), {
      reachable: null,
      auth: null,
      lastSuccessAt: null,
      lastErrorCode: null,
    });
  });

  it("given one worker failed and one ok, then auth failed (worst wins)", () => {
    assert.equal(aggregateCrm([w({ auth: "ok" }), w({ auth: "failed" })]).auth, "failed");
    assert.equal(aggregateCrm([w({ auth: "ok" }), w({ auth: "refreshing" })]).auth, "refreshing");
    assert.equal(aggregateCrm([w({ authState: "ok" }), w({ authState: "failed" })]).auth, "failed");
  });

  it("given a network error newer than the last success, then unreachable", () => {
    const r = aggregateCrm([
      w({ auth: "ok", lastSuccessAt: NOW - 60_000, lastErrorAt: NOW, lastErrorCode: "NETWORK" }),
    ]);
    assert.equal(r.reachable, false);
    assert.equal(r.lastErrorCode, "NETWORK");
  });

  it("given a portal error code newer than the last success, then still reachable (the portal answered)", () => {
    const r = aggregateCrm([
      w({ lastSuccessAt: NOW - 60_000, lastErrorAt: NOW, lastErrorCode: "QUERY_LIMIT_EXCEEDED" }),
    ]);
    assert.equal(r.reachable, true);
  });

  it("given an explicit reachable flag, then it wins; latest success across workers is reported", () => {
    const r = aggregateCrm([
      w({ reachable: false, lastSuccessAt: "2025-06-01T11:00:00.000Z" }),
      w({ reachable: true, lastSuccessAt: "2025-06-01T11:30:00.000Z" }),
    ]);
    assert.equal(r.reachable, true);
    assert.equal(r.lastSuccessAt, "2025-06-01T11:30:00.000Z");
  });
});

describe("crm hold", () => {
  it("given the newest heartbeat reports a hold, then /status names its cause, kind and age, and an error", () => {
    const hold = {
      code: "INVALID_CREDENTIALS",
      kind: "credentials",
      description: "Invalid request credentials",
      since: NOW - 90_000,
      probes: 3,
      nextProbeAt: NOW + 20_000,
      refusals: 4,
      heldSends: 57,
      fingerprint: "abc",
    };
    const r = buildStatusReport(
      healthy({
        heartbeats: {
          ok: true,
          value: {
            "worker:h:1": { at: NOW - 4000, inFlight: 0, crm: { auth: "failed", hold: null } },
            "worker:h:2": { at: NOW - 1000, inFlight: 0, crm: { auth: "failed", hold } },
          },
        },
        lastHour: {
          ok: true,
          value: { "holds.INVALID_CREDENTIALS": 1, "holds.cleared": 1, "held.INVALID_CREDENTIALS": 57 },
        },
      }),
    );
    assert.equal(r.status, "error");
    assert.deepEqual(r.crm.hold, {
      cause: "INVALID_CREDENTIALS",
      kind: "credentials",
      description: "Invalid request credentials",
      since: new Date(NOW - 90_000).toISOString(),
      heldSec: 90,
      probes: 3,
      nextProbeInSec: 20,
      refusals: 4,
      heldSends: 57,
    });
    assert.deepEqual(r.crm.holdsLastHour, { INVALID_CREDENTIALS: 1 });
    assert.deepEqual(r.crm.heldLastHour, { INVALID_CREDENTIALS: 57 });
    assert.ok(
      r.problems.some((p) => p.startsWith("CRM delivery held for 90 s: INVALID_CREDENTIALS (credentials)")),
      r.problems.join("; "),
    );
  });

  it("given the newest heartbeat says no hold, then none, even if an older one still had one", () => {
    const r = buildStatusReport(
      healthy({
        heartbeats: {
          ok: true,
          value: {
            "worker:h:1": { at: NOW - 4000, crm: { hold: { code: "OVERLOAD_LIMIT", since: NOW - 9000 } } },
            "worker:h:2": { at: NOW - 1000, crm: { hold: null } },
          },
        },
      }),
    );
    assert.equal(r.crm.hold, null);
    assert.ok(!r.problems.some((p) => p.includes("held")));
  });
});

describe("errorsByCode", () => {
  it("keeps errors.* counters without the prefix and drops zeros and other counters", () => {
    assert.deepEqual(
      errorsByCode({ "errors.A": 1, "errors.B": 0, "calls.processed": 3, "errors.ari.reconnect": 2 }),
      {
        A: 1,
        "ari.reconnect": 2,
      },
    );
  });
});

describe("buildStatusReport: the app's Redis and ARI application", () => {
  it("given Redis without AOF and with an evicting policy, then two warnings, and the settings are shown", () => {
    const r = buildStatusReport(
      healthy({
        app: {
          state: "running",
          ariConnected: true,
          ariReconnects: 0,
          activeCalls: 0,
          redisSettings: { appendonly: "no", maxmemoryPolicy: "allkeys-lru" },
        },
      }),
    );
    assert.equal(r.status, "warning");
    assert.equal(r.redis.appendonly, "no");
    assert.equal(r.redis.maxmemoryPolicy, "allkeys-lru");
    assert.deepEqual(r.problems, [
      "Redis runs without AOF (appendonly no): a Redis restart loses call states and jobs",
      "Redis maxmemory-policy is allkeys-lru, not noeviction: it may evict calls and jobs",
    ]);
  });

  it("given AOF and noeviction, then no warning", () => {
    const app = { state: "running" as const, ariConnected: true, ariReconnects: 0, activeCalls: 0 };
    const r = buildStatusReport(
      healthy({ app: { ...app, redisSettings: { appendonly: "yes", maxmemoryPolicy: "noeviction" } } }),
    );
    assert.deepEqual(r.problems, []);
  });

  it("given the app's call writes wait for Redis, then a warning with the counts, and the block is shown", () => {
    const callWrites = { redisUp: false, pending: 3, outbox: 2, handedToDialplan: 4 };
    const app = {
      state: "running" as const,
      ariConnected: true,
      ariReconnects: 0,
      activeCalls: 1,
      callWrites,
    };
    const r = buildStatusReport(healthy({ app }));
    assert.deepEqual(r.redis.callWrites, callWrites);
    assert.deepEqual(r.problems, [
      "call writes wait for Redis (3 pending, 2 in the outbox); new calls go to the dialplan",
    ]);
  });

  it("given the ARI application was taken over, then one error that says so (not a plain disconnect)", () => {
    const app = { state: "replaced" as const, ariConnected: false, ariReconnects: 1, activeCalls: 0 };
    const r = buildStatusReport(healthy({ app }));
    assert.equal(r.status, "error");
    assert.equal(r.app.state, "replaced");
    assert.deepEqual(r.problems, [
      "ARI application taken over by another connection: this app acts on no call (restart it to take it back)",
    ]);
  });
});
