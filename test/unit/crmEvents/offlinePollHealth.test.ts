import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OFFLINE_POLL_MAX_BACKOFF_MS, OfflinePollHealth } from "../../../core/crm/offlinePollHealth.ts";
import { buildStatusReport, type StatusInputs } from "../../../core/status/statusReport.ts";

const NOW = Date.parse("2025-06-01T12:00:00.000Z");

function inputs(offlinePoll: Record<string, unknown> | undefined): StatusInputs {
  return {
    now: NOW,
    process: { pid: 1, uptimeSec: 1, version: "0" },
    app: { state: "running", ariConnected: true, ariReconnects: 0, activeCalls: 0 },
    redis: { reachable: true, latencyMs: 1 },
    queue: { ok: true, value: { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 } },
    heartbeats: {
      ok: true,
      value: {
        "worker:h:1": { at: NOW - 1000, crm: { auth: "ok", lastSuccessAt: NOW - 1000 } },
        ...(offlinePoll ? { offlinePoll } : {}),
      },
    },
    lastHour: { ok: true, value: {} },
    failedTotal: { ok: true, value: 0 },
  };
}

describe("OfflinePollHealth", () => {
  it("given polls failing in a row, then the pause doubles up to the cap and the spell starts once", () => {
    const h = new OfflinePollHealth(1500);
    assert.equal(h.delayMs(), 1500);
    assert.deepEqual(h.failed("HTTP_503", 1000), { kind: "spellStarted", error: "HTTP_503" });
    assert.equal(h.delayMs(), 3000);
    assert.equal(h.failed("TIMEOUT", 4000), undefined, "the same spell: not logged again");
    assert.equal(h.delayMs(), 6000);
    for (let i = 0; i < 20; i++) h.failed("TIMEOUT", 5000 + i);
    assert.equal(h.delayMs(), OFFLINE_POLL_MAX_BACKOFF_MS);
    assert.deepEqual(h.view(2), { failures: 22, failingSince: 1000, lastError: "TIMEOUT", heldEvents: 2 });
  });

  it("given a spell, when a poll works again, then the spell ends with how long it lasted and the pause is the interval again", () => {
    const h = new OfflinePollHealth(200);
    assert.equal(h.ok(500), undefined, "no spell to end");
    h.failed("NETWORK", 1000);
    assert.deepEqual(h.ok(9000), { kind: "spellEnded", awayMs: 8000 });
    assert.equal(h.delayMs(), 200);
    assert.deepEqual(h.view(0), { failures: 0, lastOkAt: 9000, heldEvents: 0 });
  });
});

describe("/status crm.offlinePoll", () => {
  it("given no poller state, then null and no problem", () => {
    const r = buildStatusReport(inputs(undefined));
    assert.equal(r.crm.offlinePoll, null);
    assert.equal(r.status, "ok");
  });

  it("given polls failing for 10 s, then a warning; for 40 s an error naming the last error", () => {
    const short = buildStatusReport(
      inputs({ at: NOW, failures: 3, failingSince: NOW - 10_000, lastError: "HTTP_503", heldEvents: 0 }),
    );
    assert.equal(short.crm.offlinePoll?.failingSince, new Date(NOW - 10_000).toISOString());
    assert.equal(short.status, "warning");
    assert.match(short.problems.join("\n"), /event\.offline\.get failing for 10 s \(HTTP_503\)/);
    const long = buildStatusReport(
      inputs({ at: NOW, failures: 6, failingSince: NOW - 40_000, lastError: "TIMEOUT", heldEvents: 1 }),
    );
    assert.equal(long.status, "error");
    assert.equal(long.crm.offlinePoll?.heldEvents, 1);
  });
});
