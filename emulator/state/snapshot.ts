import type { Runtime } from "../runtime.ts";
import { effectiveOperatingLimitSec, effectiveRateLimit } from "../options.ts";

function since<T>(items: Iterable<T>, from: number | null, at: (item: T) => number): T[] {
  const all = [...items];
  return from === null ? all : all.filter((item) => at(item) >= from);
}

function crmList(runtime: Runtime, kind: "CONTACT" | "LEAD" | "COMPANY") {
  return [...runtime.state.crm[kind].values()];
}

/**
 * GET /_emulator/state. With `?since=<ms>` only calls updated, and requests/events/notifications/messages
 * logged, at or after that emulator time are listed (entities are always listed in full).
 */
export function snapshot(runtime: Runtime, from: number | null): Record<string, unknown> {
  const { state } = runtime;
  return {
    now: runtime.clock.now(),
    calls: since(state.calls.values(), from, (c) => c.updatedAt),
    activities: [...state.activities.values()],
    leads: crmList(runtime, "LEAD"),
    contacts: crmList(runtime, "CONTACT"),
    companies: crmList(runtime, "COMPANY"),
    notifications: since(state.notifications, from, (n) => Number(n.at)),
    messages: since(state.messages, from, (m) => Number(m.at)),
    events: since(state.events, from, (e) => e.at),
    offlineQueue: state.offlineEvents.length,
    bindings: state.bindings,
    lines: state.lines,
    requests: since(state.requests, from, (r) => r.at),
    statistics: [...state.statistics.values()],
    config: {
      ...runtime.config,
      rateLimit: effectiveRateLimit(runtime.config),
      operatingLimitSec: effectiveOperatingLimitSec(runtime.config),
      bucketLevel: runtime.bucket.current(effectiveRateLimit(runtime.config)),
      queued: runtime.gate.queued,
    },
    faults: runtime.faults.describe(),
    credentials: runtime.credentials.describe(),
  };
}
