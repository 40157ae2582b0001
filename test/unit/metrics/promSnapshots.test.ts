import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Counter, Histogram, Registry } from "prom-client";
import { aggregateSnapshots, type PromJson, type PromSnapshot } from "../../../core/metrics/promSnapshots.ts";

/** A registry shaped like a process's: the same metric names, its own figures. */
async function processMetrics(errors: number, latencies: number[]): Promise<PromJson> {
  const registry = new Registry();
  const c = new Counter({ name: "x_errors_total", help: "h", labelNames: ["code"], registers: [registry] });
  const h = new Histogram({ name: "x_latency_seconds", help: "h", buckets: [1, 5], registers: [registry] });
  c.inc({ code: "NETWORK" }, errors);
  for (const l of latencies) h.observe(l);
  return (await registry.getMetricsAsJSON()) as PromJson;
}

const snapshot = (host: string, pid: number, metrics: PromJson): PromSnapshot => ({
  component: `worker:${host}:${pid}`,
  host,
  pid,
  at: 0,
  metrics,
});

describe("aggregateSnapshots: the cluster's figures", () => {
  it("given this process and two workers, then counters and histogram buckets are summed", async () => {
    const own = await processMetrics(1, [0.5]);
    const workers = [
      snapshot("h", 2, await processMetrics(2, [3])),
      snapshot("h", 3, await processMetrics(4, [7])),
    ];
    const text = await aggregateSnapshots(own, workers, { host: "h", pid: 1 }).metrics();
    assert.match(text, /^x_errors_total\{code="NETWORK"\} 7$/m);
    assert.match(text, /^x_latency_seconds_bucket\{le="1"\} 1$/m);
    assert.match(text, /^x_latency_seconds_bucket\{le="5"\} 2$/m);
    assert.match(text, /^x_latency_seconds_count 3$/m);
  });

  it("given this process's own snapshot among them, then it is not counted twice", async () => {
    const own = await processMetrics(5, []);
    const text = await aggregateSnapshots(own, [snapshot("h", 1, own), snapshot("other", 1, own)], {
      host: "h",
      pid: 1,
    }).metrics();
    assert.match(
      text,
      /^x_errors_total\{code="NETWORK"\} 10$/m,
      "same pid on another host is another process",
    );
  });
});
