import { prom } from "./promMetrics.ts";

/**
 * The shared per-minute counters (`Metrics.count`, read by `/status`) carry the same facts Prometheus
 * wants; this maps each counter name to its Prometheus series, so every place that counts for
 * `/status` counts for `/metrics` too, without a second call at each site.
 */

export type CounterTarget =
  | { metric: "callResults"; labels: { result: string } }
  | { metric: "errors"; labels: { code: string } }
  | { metric: "holds"; labels: { reason: string } }
  | { metric: "holdsCleared"; labels: Record<string, never> }
  | { metric: "heldSends"; labels: { reason: string } }
  | { metric: "portalCommands"; labels: Record<string, never> }
  | { metric: "uploads"; labels: Record<string, never> }
  | { metric: "portalEvents"; labels: { event: string } }
  | { metric: "hookErrors"; labels: { point: string; kind: string } }
  | { metric: "originateFailures"; labels: { reason: string } }
  | { metric: "other"; labels: { name: string } };

/**
 * Names measured directly by their own Prometheus metric (crm.requests by status in the sender,
 * latency sums kept for the dashboard's per-minute chart): not counted twice.
 */
const DIRECT = /^(crm\.requests$|latency\.)/;

/** `errors.NETWORK` → itgrix_errors_total{code="NETWORK"}, …; undefined for names measured directly. */
export function counterTarget(name: string): CounterTarget | undefined {
  if (DIRECT.test(name)) return undefined;
  const dot = name.indexOf(".");
  const head = dot < 0 ? name : name.slice(0, dot);
  const rest = dot < 0 ? "" : name.slice(dot + 1);
  if (rest !== "") {
    switch (head) {
      case "calls":
        return { metric: "callResults", labels: { result: rest } };
      case "errors":
        return { metric: "errors", labels: { code: rest } };
      case "holds":
        return rest === "cleared"
          ? { metric: "holdsCleared", labels: {} }
          : { metric: "holds", labels: { reason: rest } };
      case "held":
        return { metric: "heldSends", labels: { reason: rest } };
      case "events":
        return { metric: "portalEvents", labels: { event: rest } };
      case "originate":
        if (rest.startsWith("failed."))
          return { metric: "originateFailures", labels: { reason: rest.slice(7) } };
        break;
      case "hooks": {
        const [kind, ...point] = rest.split(".");
        if (point.length > 0)
          return { metric: "hookErrors", labels: { point: point.join("."), kind: kind! } };
      }
    }
  }
  if (name === "crm.commands") return { metric: "portalCommands", labels: {} };
  if (name === "crm.uploads") return { metric: "uploads", labels: {} };
  return { metric: "other", labels: { name } };
}

/** Adds `n` to the Prometheus series of a shared counter. Never throws (metrics never break a call). */
export function countInProm(name: string, n = 1): void {
  const target = counterTarget(name);
  if (!target || !(n > 0)) return;
  try {
    (prom[target.metric] as { inc(labels: Record<string, string>, n: number): void }).inc(target.labels, n);
  } catch {
    /* a label set prom-client refuses: the /status counter still has it */
  }
}
