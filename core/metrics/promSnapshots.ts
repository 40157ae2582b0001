import { hostname } from "node:os";
import type { Redis } from "ioredis";
import {
  AggregatorRegistry,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from "prom-client";
import type { RedisKeys } from "../redis/keys.ts";
import { promRegistry } from "./promMetrics.ts";

/**
 * Workers are separate processes (any number of them): each publishes its registry as JSON with its
 * heartbeat, expiring soon after the heartbeat stops, and the app's `/metrics` sums them with its own.
 * A process that stopped drops out of the sums: Prometheus sees a counter reset, which `rate()` and
 * `increase()` handle.
 */

export type PromJson = MetricObjectWithValues<MetricValue<string>>[];

export interface PromSnapshot {
  component: string;
  host: string;
  pid: number;
  at: number;
  metrics: PromJson;
}

/** Three missed heartbeats (5 s apart) and a snapshot is gone. */
export const SNAPSHOT_TTL_SEC = 20;

export async function publishSnapshot(
  redis: Redis,
  keys: RedisKeys,
  component: string,
  registry: Registry = promRegistry,
  self: { host: string; pid: number } = { host: hostname(), pid: process.pid },
): Promise<void> {
  const snapshot: PromSnapshot = {
    component,
    host: self.host,
    pid: self.pid,
    at: Date.now(),
    metrics: (await registry.getMetricsAsJSON()) as PromJson,
  };
  await redis.set(keys.promSnapshot(component), JSON.stringify(snapshot), "EX", SNAPSHOT_TTL_SEC);
}

/** The snapshots of `components` that are still there; unreadable ones are left out. */
export async function readSnapshots(
  redis: Redis,
  keys: RedisKeys,
  components: string[],
): Promise<PromSnapshot[]> {
  if (components.length === 0) return [];
  const values = await redis.mget(components.map((c) => keys.promSnapshot(c)));
  const out: PromSnapshot[] = [];
  for (const json of values) {
    if (json === null) continue;
    try {
      const parsed = JSON.parse(json) as PromSnapshot;
      if (Array.isArray(parsed.metrics)) out.push(parsed);
    } catch {
      /* a corrupt snapshot is skipped; the process overwrites it within seconds */
    }
  }
  return out;
}

/**
 * This process's metrics summed with the other processes' snapshots. A snapshot of this very process
 * (same host and pid: the app's own heartbeat, or workers started in-process by tests) is skipped,
 * its figures are already in `own`.
 */
export function aggregateSnapshots(
  own: PromJson,
  snapshots: PromSnapshot[],
  self: { host: string; pid: number } = { host: hostname(), pid: process.pid },
): Registry {
  const others = snapshots.filter((s) => !(s.host === self.host && s.pid === self.pid)).map((s) => s.metrics);
  return AggregatorRegistry.aggregate([own, ...others]);
}
