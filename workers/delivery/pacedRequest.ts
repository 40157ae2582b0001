import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import { prom } from "../../core/metrics/promMetrics.ts";
import { BitrixError, NetworkError, OperationTimeLimited, RateLimited } from "../bitrix/errors.ts";
import type { BitrixClient } from "../bitrix/client.ts";
import { backoffDelay, sleep } from "./backoff.ts";
import { DeliveryError } from "./deliveryError.ts";
import type { Admission, DeliveryHold } from "./deliveryHold.ts";
import type { ClusterLimiter } from "./leakyBucket.ts";
import type { Lane } from "./types.ts";

export interface SenderSettings {
  baseDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  operatingLimitSec: number;
  /** Share of the operating limit above which a method is slowed down. */
  operatingSlowdownAt: number;
  /** Pause after a 429 whose answer carries no operating_reset_at. */
  defaultOperatingPauseMs: number;
}

export interface SenderDeps {
  client: BitrixClient;
  limiter: ClusterLimiter;
  /** The cluster-wide hold: consulted before every attempt, told about every outcome. */
  hold: DeliveryHold;
  settings: SenderSettings;
  logger?: Logger;
  metrics?: Metrics;
  random?: () => number;
  isClosed: () => boolean;
  onError: (code: string) => void;
  onSuccess: () => void;
}

/** One request to the portal that counts against its leaky bucket (a batch, a file upload). */
export interface PacedRequest<T> {
  /** `batch`, `upload`: names the request in the log. */
  kind: string;
  lane: Lane;
  /** Methods whose 429 pause the request must wait out (the limiter checks them). */
  methods: string[];
  /** Fields of every log line about the request (call ids, size); never URLs or tokens. */
  logFields: Record<string, unknown>;
  /** One attempt; called again for every retry. */
  attempt: () => Promise<T>;
  /**
   * A refusal of the whole portal carried inside an answer (a batch whose commands were refused
   * for a missing scope, …): the hold is entered instead of being cleared by the answer.
   */
  holdCause?: (answer: T) => { code: string; description: string } | undefined;
  /** False when the answer says nothing about a hold's cause: such a request never probes. */
  mayProbe?: boolean;
}

/** Rate-limit answers are expected now and then; they get this many times more tries than failures. */
const LIMIT_HIT_FACTOR = 5;

/**
 * An exception that is not a typed client error came from this side after the request went out
 * (reading the answer): the portal may have run it, so it is ambiguous, never re-sent.
 */
function toBitrixError(err: unknown): BitrixError {
  if (err instanceof BitrixError) return err;
  return new NetworkError(err instanceof Error ? err.message : String(err), true);
}

/**
 * Sends one request until it is answered: limiter first, then the attempt. Only what the portal
 * provably did not run is sent again: 503 QUERY_LIMIT_EXCEEDED (the shared bucket is filled), 429
 * (the method pauses until operating_reset_at) and connections that failed before the request was
 * written (exponential backoff). Everything else throws a DeliveryError at once: `ambiguous` when the
 * portal may have run it, `held` for a refusal of the whole portal, `permanent_error` for a refusal
 * of this request.
 */
export async function sendPaced<T>(request: PacedRequest<T>, deps: SenderDeps): Promise<T> {
  const { settings } = deps;
  let failures = 0;
  let limitHits = 0;
  let admission: Admission | undefined;
  for (;;) {
    // A probe stays the probe through its own re-sends; anything else asks again (a hold may have
    // begun meanwhile, also while this request waited for the limiter).
    const mayProbe = request.mayProbe ?? true;
    if (!admission?.probe) admission = await deps.hold.admit(mayProbe);
    const waitStarted = performance.now();
    await deps.limiter.acquire(request.lane, request.methods);
    prom.limiterWait.observe({ lane: request.lane }, (performance.now() - waitStarted) / 1000);
    if (!admission.probe) admission = await deps.hold.admit(mayProbe);
    try {
      void deps.metrics?.count("crm.requests");
      const answer = await request.attempt();
      const cause = request.holdCause?.(answer);
      if (cause) await bookkeeping(deps.hold.enter(cause), deps);
      // `undefined`: nothing was left to send (every group taken back), so the portal said nothing.
      else if (answer !== undefined) await bookkeeping(deps.hold.answered(admission), deps);
      if (answer !== undefined) prom.portalRequests.inc({ status: "200" });
      deps.onSuccess();
      return answer;
    } catch (err) {
      const error = toBitrixError(err);
      deps.onError(error.code);
      void deps.metrics?.count(`errors.${error.code}`);
      prom.portalRequests.inc({ status: error.status ? String(error.status) : error.code });
      const attempts = failures + limitHits + 1;
      const logFields = { ...request.logFields, code: error.code, status: error.status, attempts };
      const held = await noteOutcome(error, admission, deps);
      if (held) throw await heldNow(error, attempts, logFields, deps);
      if (error.disposition !== "retry") throw refusal(request.kind, error, attempts, logFields, deps);
      let waitMs: number;
      if (error instanceof RateLimited) {
        limitHits++;
        await deps.limiter.onRateLimited().catch(() => undefined);
        waitMs = backoffDelay(1, settings.baseDelayMs, settings.maxDelayMs, deps.random);
      } else if (error instanceof OperationTimeLimited) {
        limitHits++;
        const until = pauseUntil(error.resetAtMs, deps);
        const paused = error.method && error.method !== "batch" ? [error.method] : request.methods;
        for (const method of paused) await deps.limiter.pauseMethod(method, until).catch(() => undefined);
        waitMs = 0; // the limiter holds the request back until the pause ends
      } else {
        failures++;
        waitMs = backoffDelay(failures, settings.baseDelayMs, settings.maxDelayMs, deps.random);
      }
      const exhausted =
        failures >= settings.maxAttempts || limitHits >= settings.maxAttempts * LIMIT_HIT_FACTOR;
      if (exhausted || deps.isClosed()) {
        deps.logger?.error(
          logFields,
          exhausted ? `${request.kind} retries exhausted` : `${request.kind} abandoned at shutdown`,
        );
        throw new DeliveryError(
          exhausted ? "retries_exhausted" : "closed",
          error.toInfo(),
          failures + limitHits,
        );
      }
      deps.logger?.warn({ ...logFields, failures, limitHits, waitMs }, `${request.kind} not run, retrying`);
      await sleep(waitMs);
    }
  }
}

/**
 * Tells the hold what the portal did; true when this request must stop as held: a refusal of the
 * whole portal, or no answer once the portal counts as unreachable (a probe that got no answer
 * included — the hold stays, the next probe comes later).
 */
async function noteOutcome(error: BitrixError, admission: Admission, deps: SenderDeps): Promise<boolean> {
  if (error.disposition === "hold") {
    await bookkeeping(deps.hold.enter(error), deps);
    return true;
  }
  const answeredByPortal =
    error.disposition === "refused" || error instanceof RateLimited || error instanceof OperationTimeLimited;
  if (answeredByPortal) {
    // Reachable, but not proof that a hold's cause is gone.
    await bookkeeping(deps.hold.answered({ probe: false }), deps);
    return false;
  }
  const unreachable = (await bookkeeping(deps.hold.unanswered(error), deps)) ?? false;
  // An ambiguous answer is reported as such even when it tipped the portal into "unreachable":
  // the request may have run, and only the reconciler can find out.
  if (error.disposition === "ambiguous") return false;
  return unreachable || admission.probe;
}

/**
 * The hold's bookkeeping in Redis must never change what is known about a request: when Redis
 * fails, the request's own outcome (answered, ambiguous, refused) stands and the failure is logged.
 */
async function bookkeeping<T>(work: Promise<T>, deps: SenderDeps): Promise<T | undefined> {
  try {
    return await work;
  } catch (err) {
    deps.logger?.warn({ err: (err as Error).message }, "delivery hold: Redis bookkeeping failed");
    return undefined;
  }
}

/** The held rejection for a request stopped by the hold it just hit or entered. */
async function heldNow(
  error: BitrixError,
  attempts: number,
  logFields: Record<string, unknown>,
  deps: SenderDeps,
): Promise<DeliveryError> {
  const view = await bookkeeping(deps.hold.refresh(), deps);
  deps.logger?.warn(
    { ...logFields, hold: view?.code },
    "delivery held: not sent, or refused for the whole portal",
  );
  if (view) {
    // Refused with credentials replaced while it was in flight (SIGHUP): the next send probes at once.
    const changed = (await bookkeeping(deps.hold.credentialsChanged(view), deps)) ?? false;
    return deps.hold.heldError(view, changed);
  }
  return new DeliveryError("held", error.toInfo(), attempts);
}

/** The DeliveryError for an answer that must not be re-sent as is, logged once. */
function refusal(
  kind: string,
  error: BitrixError,
  attempts: number,
  logFields: Record<string, unknown>,
  deps: SenderDeps,
): DeliveryError {
  if (error.disposition === "ambiguous") {
    deps.logger?.warn(logFields, `${kind} may have run at the portal: not re-sent, left to verification`);
    return new DeliveryError("ambiguous", error.toInfo(), attempts);
  }
  deps.logger?.error(logFields, `${kind} refused by the portal`);
  return new DeliveryError("permanent_error", error.toInfo(), attempts);
}

/** Longest pause a 429 may impose: the operating window is 10 minutes. */
const MAX_OPERATING_PAUSE_MS = 11 * 60_000;

/** Local time until which a 429'd method waits: `operating_reset_at` (portal clock) or a default. */
export function pauseUntil(portalResetAtMs: number | undefined, deps: SenderDeps): number {
  const now = Date.now();
  if (portalResetAtMs === undefined) return now + deps.settings.defaultOperatingPauseMs;
  const local = deps.client.toLocalTime(portalResetAtMs);
  return Math.min(Math.max(local, now + 100), now + MAX_OPERATING_PAUSE_MS);
}
