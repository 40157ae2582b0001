import type { PlannedCall } from "./callMix.ts";
import type { PlacedCall } from "./crmCheck.ts";
import type { CallEnd } from "./phones.ts";

/**
 * Places planned calls in order, several at once, but never two calls that may ring the same phone
 * (or both use the outside-world UAS) at the same time: the CRM outcome of each call then follows from
 * the call centre's set-up alone, which is what makes the demo checkable.
 */
export interface RunnerOptions {
  /** Calls in progress at once. */
  concurrency: number;
  /** Pause between two call starts. */
  spacingMs: number;
  place: (call: PlannedCall) => Promise<CallEnd>;
  onEnded: (placed: PlacedCall, end: CallEnd) => void;
  /** Checked before each start; true stops the runner after the calls in progress. */
  stopping: () => boolean;
}

/** What a call holds while it runs: its phones, plus the outside-world UAS for outbound calls. */
export function resourcesOf(call: PlannedCall): string[] {
  return call.direction === "outbound" ? [...call.extensions, "client"] : call.extensions;
}

export async function runCalls(calls: Iterable<PlannedCall>, o: RunnerOptions): Promise<PlacedCall[]> {
  const placed: PlacedCall[] = [];
  const busy = new Set<string>();
  const running = new Set<Promise<void>>();
  let waiting: PlannedCall[] = [];
  const source = calls[Symbol.iterator]();
  let exhausted = false;

  const startable = () => waiting.findIndex((c) => resourcesOf(c).every((r) => !busy.has(r)));
  while (!o.stopping()) {
    // Keep a small look-ahead so a call blocked by a busy phone does not stall the others.
    while (!exhausted && waiting.length < o.concurrency * 2) {
      const next = source.next();
      if (next.done) exhausted = true;
      else waiting.push(next.value);
    }
    if (waiting.length === 0 && running.size === 0) break;
    const index = running.size < o.concurrency ? startable() : -1;
    if (index < 0) {
      if (running.size === 0) break; // cannot happen: with nothing running every call is startable
      await Promise.race(running);
      continue;
    }
    const call = waiting[index]!;
    waiting = waiting.filter((_, i) => i !== index);
    const resources = resourcesOf(call);
    resources.forEach((r) => busy.add(r));
    const record: PlacedCall = { plan: call };
    placed.push(record);
    const task = o.place(call).then((end) => {
      record.endedAt = end.endedAt;
      if (end.error !== undefined) record.error = end.error;
      resources.forEach((r) => busy.delete(r));
      running.delete(task);
      o.onEnded(record, end);
    });
    running.add(task);
    await new Promise((r) => setTimeout(r, o.spacingMs));
  }
  await Promise.all(running);
  return placed;
}
