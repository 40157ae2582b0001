import type { CallState } from "../calls/types.ts";
import type { Metrics } from "./metrics.ts";
import { prom } from "./promMetrics.ts";

/**
 * Per-call figures: hang-up → CRM latency and the time a card took to pop. The pure parts compute them
 * from the call model; `observe…` records them in Prometheus and, for the dashboard's per-minute chart,
 * as a sum and a count in the shared per-minute counters (`latency.hangupToCrm.ms` / `.calls`).
 */

/** Seconds from the call's end to `deliveredAt`; undefined for a call without an end. */
export function hangupToCrmSec(call: Pick<CallState, "endedAt">, deliveredAt: Date): number | undefined {
  if (!call.endedAt) return undefined;
  const ended = Date.parse(call.endedAt);
  if (Number.isNaN(ended)) return undefined;
  return Math.max(0, (deliveredAt.getTime() - ended) / 1000);
}

/** When the call first rang an operator (or, without a ringing leg, when it started). */
export function firstRingAt(call: Pick<CallState, "legs" | "startedAt">): number {
  const rings = call.legs
    .map((leg) => (leg.ringingAt ? Date.parse(leg.ringingAt) : Number.NaN))
    .filter((t) => !Number.isNaN(t));
  return rings.length > 0 ? Math.min(...rings) : Date.parse(call.startedAt);
}

/**
 * Seconds from the first ring to `at`, when this answer showed the call's first card while the call
 * was still live: the group that registered the call (card mode `ring` shows with the register).
 * Undefined otherwise: a later show (the next operator of a sequential hunt, a card at answer in
 * card mode `answer`, a transfer) would measure the hunt, not the connector.
 */
export function cardShownAfterRingSec(
  call: Pick<CallState, "legs" | "startedAt" | "phase">,
  registeredBefore: boolean,
  shownBefore: readonly number[],
  shownAfter: readonly number[],
  at: Date,
): number | undefined {
  if (registeredBefore || shownBefore.length > 0 || shownAfter.length === 0) return undefined;
  if (call.phase === "ended") return undefined;
  const rang = firstRingAt(call);
  if (Number.isNaN(rang)) return undefined;
  return Math.max(0, (at.getTime() - rang) / 1000);
}

/** A call just became complete in the CRM (counted once per call by the caller). Never throws. */
export function observeDelivered(metrics: Metrics, call: CallState, deliveredAt: Date): void {
  try {
    prom.calls.inc({ direction: call.direction, outcome: call.clientResult ?? "unknown" });
    const sec = hangupToCrmSec(call, deliveredAt);
    if (sec === undefined) return;
    prom.hangupToCrm.observe({ direction: call.direction }, sec);
    void metrics.count("latency.hangupToCrm.ms", Math.round(sec * 1000));
    void metrics.count("latency.hangupToCrm.calls");
  } catch {
    /* metrics never break delivery */
  }
}

export function observeCardShown(
  call: CallState,
  registeredBefore: boolean,
  shownBefore: readonly number[],
  shownAfter: readonly number[],
  at: Date,
): void {
  const sec = cardShownAfterRingSec(call, registeredBefore, shownBefore, shownAfter, at);
  if (sec !== undefined) prom.cardShown.observe(sec);
}
