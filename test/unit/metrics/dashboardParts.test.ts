import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LiveCallSeries } from "../../../app/dashboard/liveCalls.ts";
import { MASK, maskedConfig } from "../../../app/dashboard/maskedConfig.ts";
import { buildMinuteSeries } from "../../../app/dashboard/minuteSeries.ts";
import { parseConfig } from "../../../core/config/loadConfig.ts";

describe("dashboard: the configuration with secrets masked", () => {
  it("given every kind of secret, then none of them is in the view and the rest is", () => {
    const config = parseConfig({
      ari: { url: "http://127.0.0.1:8088", user: "itgrix", password: "ari-secret-pw", app: "itgrix" },
      redis: { url: "redis://:redis-secret-pw@127.0.0.1:6379/0", prefix: "itgrix" },
      http: {
        adminPassword: "admin-secret-pw",
        metricsToken: "metrics-secret-token",
        signingKey: "signing-secret-key-123",
        publicUrl: "https://pbx.example.com",
      },
      bitrix: {
        auth: { type: "webhook", webhookUrl: "https://portal.example.com/rest/1/webhook-secret-xyz/" },
        applicationToken: "app-secret-token",
      },
      cdr: { url: "postgres://asterisk:pg-secret-pw@127.0.0.1/asterisk" },
    });
    const view = JSON.stringify(maskedConfig(config));
    for (const secret of [
      "ari-secret-pw",
      "redis-secret-pw",
      "admin-secret-pw",
      "metrics-secret-token",
      "signing-secret-key-123",
      "webhook-secret-xyz",
      "app-secret-token",
      "pg-secret-pw",
    ]) {
      assert.ok(!view.includes(secret), `${secret} shown: ${view}`);
    }
    assert.ok(view.includes(MASK));
    assert.ok(view.includes("https://pbx.example.com"), "non-secret values stay");
    assert.ok(view.includes("portal.example.com/rest/1/"), "the portal's host stays");
  });
});

describe("dashboard: per-minute series", () => {
  it("given counters of three minutes, then one value per minute, averages and error codes", () => {
    const series = buildMinuteSeries([
      { at: 60_000, counters: { "calls.processed": "3", "errors.NETWORK": "1" } },
      { at: 120_000, counters: {} },
      {
        at: 180_000,
        counters: {
          "calls.processed": "2",
          "calls.failed": "1",
          "latency.hangupToCrm.ms": "3000",
          "latency.hangupToCrm.calls": "2",
          "errors.QUERY_LIMIT_EXCEEDED": "4",
        },
      },
    ]);
    assert.deepEqual(series, {
      t: [60, 120, 180],
      processed: [3, 0, 2],
      failed: [0, 0, 1],
      latencySec: [null, null, 1.5],
      errors: { NETWORK: [1, 0, 0], QUERY_LIMIT_EXCEEDED: [0, 0, 4] },
    });
  });

  it("live calls keep the newest samples only", () => {
    const live = new LiveCallSeries(3);
    for (let i = 1; i <= 5; i++) live.add(i * 1000, i);
    assert.deepEqual(live.points(), { t: [3, 4, 5], calls: [3, 4, 5] });
  });
});
