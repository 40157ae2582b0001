import type { GroupConfig } from "../../core/config/schema.ts";

/**
 * The order in which a group's members are offered a call. Pure.
 * - `ringall` and `sequential`: the configured order (ringall rings them all at once).
 * - `roundrobin`: least recently offered first (never offered = first), ties in configured order.
 */
export function orderMembers(group: GroupConfig, lastOfferedMs: Record<string, number> = {}): string[] {
  const members = [...new Set(group.members)];
  if (group.strategy !== "roundrobin") return members;
  return members
    .map((ext, index) => ({ ext, index, last: lastOfferedMs[ext] ?? 0 }))
    .sort((a, b) => a.last - b.last || a.index - b.index)
    .map((m) => m.ext);
}

/**
 * How long one attempt may ring: the per-operator timeout, never (by more than a part of a second,
 * which the deadline timer cuts) past the group's deadline. Rounded up: the first attempt of a hunt
 * starts a few ms after its deadline was set, and flooring made a 3 s ring 2 s.
 */
export function ringSecondsFor(ringTimeoutSec: number, deadlineMs: number, nowMs: number): number {
  return Math.max(0, Math.min(ringTimeoutSec, Math.ceil((deadlineMs - nowMs) / 1000)));
}
