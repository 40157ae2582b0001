import { Counter, Histogram, Registry } from "prom-client";

/**
 * The Prometheus metrics of this process (app or worker), in one registry. Workers publish a snapshot
 * of it to Redis with their heartbeat (promSnapshots.ts); the app's `/metrics` sums every process's
 * snapshot with its own and adds gauges read from `/status` (statusGauges.ts). Only counters and
 * histograms live here: they sum correctly across processes, gauges would not.
 */
export const promRegistry = new Registry();
const registers = [promRegistry];

const SECONDS_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300, 900];

export const prom = {
  calls: new Counter({
    name: "itgrix_calls_total",
    help: "Calls delivered to the CRM, by direction and the client's outcome (answered, noanswer, busy, …)",
    labelNames: ["direction", "outcome"],
    registers,
  }),
  callResults: new Counter({
    name: "itgrix_call_results_total",
    help: "What the workers did with calls: processed, failed, skipped, held, swept, reprocessed, verified, unanswered",
    labelNames: ["result"],
    registers,
  }),
  errors: new Counter({
    name: "itgrix_errors_total",
    help: "Errors by code (portal error codes, NETWORK, INTERNAL, ari.reconnect, …), as /status counts them",
    labelNames: ["code"],
    registers,
  }),
  failures: new Counter({
    name: "itgrix_call_failures_total",
    help: "Calls failed for good (re-processing needed), by error code",
    labelNames: ["code"],
    registers,
  }),
  retries: new Counter({
    name: "itgrix_call_retries_total",
    help: "Lifecycle jobs sent back for another attempt, by error code",
    labelNames: ["code"],
    registers,
  }),
  holds: new Counter({
    name: "itgrix_delivery_holds_total",
    help: "Delivery holds begun (the portal refuses everything until an admin fixes it), by cause",
    labelNames: ["reason"],
    registers,
  }),
  holdsCleared: new Counter({
    name: "itgrix_delivery_holds_cleared_total",
    help: "Delivery holds that ended",
    registers,
  }),
  heldSends: new Counter({
    name: "itgrix_delivery_held_sends_total",
    help: "Sends refused because delivery was held, by the hold's cause",
    labelNames: ["reason"],
    registers,
  }),
  portalRequests: new Counter({
    name: "itgrix_portal_requests_total",
    help: "Requests to the Bitrix24 portal (batches, uploads) by HTTP status, or an error code when none came",
    labelNames: ["status"],
    registers,
  }),
  portalCommands: new Counter({
    name: "itgrix_portal_commands_total",
    help: "REST commands sent inside batches",
    registers,
  }),
  uploads: new Counter({
    name: "itgrix_recording_uploads_total",
    help: "Recording files uploaded to the portal",
    registers,
  }),
  portalEvents: new Counter({
    name: "itgrix_portal_events_total",
    help: "Verified events received from the portal, by event name",
    labelNames: ["event"],
    registers,
  }),
  originateFailures: new Counter({
    name: "itgrix_originate_failures_total",
    help: "Click-to-call originations that failed, by reason",
    labelNames: ["reason"],
    registers,
  }),
  hookErrors: new Counter({
    name: "itgrix_hook_errors_total",
    help: "Customization hooks that threw, timed out, returned a refused value or were deferred",
    labelNames: ["point", "kind"],
    registers,
  }),
  hookDuration: new Histogram({
    name: "itgrix_hook_duration_seconds",
    help: "Run time of customization hooks, by hook point",
    labelNames: ["point"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  }),
  hangupToCrm: new Histogram({
    name: "itgrix_hangup_to_crm_seconds",
    help: "From a call's hang-up to the moment it was complete in the CRM",
    labelNames: ["direction"],
    buckets: SECONDS_BUCKETS,
    registers,
  }),
  cardShown: new Histogram({
    name: "itgrix_card_shown_after_ring_seconds",
    help: "From the first ring of a live call to the portal's answer to the card's show",
    buckets: [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30],
    registers,
  }),
  batchSize: new Histogram({
    name: "itgrix_batch_commands",
    help: "Commands per batch request sent to the portal",
    buckets: [1, 2, 5, 10, 20, 30, 40, 50],
    registers,
  }),
  limiterWait: new Histogram({
    name: "itgrix_limiter_wait_seconds",
    help: "Time a portal request waited for the shared rate limiter, by lane",
    labelNames: ["lane"],
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers,
  }),
  other: new Counter({
    name: "itgrix_counter_total",
    help: "Other named counters of the shared per-minute statistics",
    labelNames: ["name"],
    registers,
  }),
};
