import type { Redis } from "ioredis";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import type { BitrixError } from "../bitrix/errors.ts";
import { DeliveryError } from "./deliveryError.ts";
import { holdKind, type HoldKind } from "./holdKinds.ts";

/**
 * The cluster-wide hold of delivery to one portal: a circuit kept in Redis, so every worker process
 * sees it. A refusal an admin must fix (credentials, scope, OVERLOAD_LIMIT, 408/413, a token file)
 * — or a portal that has not answered for `unreachableAfterMs` — puts delivery on hold: nothing is
 * sent but one probe at a time cluster-wide, on a doubling schedule (`probeMinMs` … `probeMaxMs`),
 * and sooner when this process's credentials differ from those the portal refused (a new token file,
 * a new webhook URL after a restart). A probe is real work (the next batch that wants to go): when it
 * is answered, the hold clears and everything held is delivered as its jobs come back; a refusal
 * keeps the hold. Every other send is rejected at once with `DeliveryError("held")`.
 *
 * Times come from `now()` (injectable), so a test can pass ten minutes of outage in a second.
 */

export interface HoldSettings {
  /** First probe delay after the hold begins; doubles per probe up to `probeMaxMs`. */
  probeMinMs: number;
  probeMaxMs: number;
  /** No answer from the portal for this long (and at least `unreachableMinFailures`): hold. */
  unreachableAfterMs: number;
  unreachableMinFailures: number;
  /** How long a process trusts its copy of the hold record before reading Redis again. */
  cacheMs: number;
}

export const DEFAULT_HOLD_SETTINGS: HoldSettings = {
  probeMinMs: 1_000,
  probeMaxMs: 60_000,
  unreachableAfterMs: 60_000,
  unreachableMinFailures: 3,
  cacheMs: 250,
};

/** What `/status` shows of a hold (no secrets: codes, descriptions, times, counts). */
export interface HoldView {
  code: string;
  description: string;
  kind: HoldKind;
  /** ms since the epoch, on the clock of the process that entered the hold. */
  since: number;
  probes: number;
  nextProbeAt: number;
  /** Refusals seen in this hold (the first included), and sends rejected while it lasts. */
  refusals: number;
  heldSends: number;
  /** A hash of the credentials the portal refused (never the credentials themselves). */
  fingerprint: string;
}

export interface HoldDeps {
  redis: Redis;
  holdKey: string;
  healthKey: string;
  settings: HoldSettings;
  now: () => number;
  /** A hash of the credentials this process would send now (see AuthProvider.fingerprint). */
  fingerprint: () => Promise<string>;
  /** Called when this process takes a probe: the auth provider gives refused tokens another chance. */
  onProbe?: () => void;
  /**
   * Called in the process whose probe cleared the hold: held jobs wait for a probe time up to
   * `probeMaxMs` away, and a cleared hold should deliver them now, not a minute later.
   */
  onCleared?: () => void;
  logger?: Logger;
  metrics?: Metrics;
}

/** No hold; or held, and this request is the probe of the hold that began at `since`. */
export type Admission = { probe: false } | { probe: true; since: number };

const OPEN: Admission = { probe: false };

// KEYS[1] hold. ARGV: code, description, kind, now, fingerprint, first probe delay.
// Creates the hold unless one exists (then counts the refusal). Returns 1 when it was created.
const ENTER = `
if redis.call("EXISTS", KEYS[1]) == 1 then
  redis.call("HINCRBY", KEYS[1], "refusals", 1)
  return 0
end
redis.call("HSET", KEYS[1], "code", ARGV[1], "description", ARGV[2], "kind", ARGV[3], "since", ARGV[4],
  "probes", 0, "nextProbeAt", tonumber(ARGV[4]) + tonumber(ARGV[6]), "refusals", 1, "heldSends", 0,
  "fp", ARGV[5])
return 1
`;

// KEYS[1] hold. ARGV: now, fingerprint, min delay, max delay. A probe is due when its time has come
// or the caller's credentials differ from the refused ones; taking it schedules the next one.
// Returns the hold's `since` when the probe was taken, 0 when none is due, -1 when there is no hold.
const CLAIM_PROBE = `
if redis.call("EXISTS", KEYS[1]) == 0 then return -1 end
local now = tonumber(ARGV[1])
local due = tonumber(redis.call("HGET", KEYS[1], "nextProbeAt") or "0")
local fp = redis.call("HGET", KEYS[1], "fp")
if due > now and fp == ARGV[2] then return 0 end
local probes = tonumber(redis.call("HGET", KEYS[1], "probes") or "0") + 1
local delay = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ probes)
redis.call("HSET", KEYS[1], "probes", probes, "nextProbeAt", now + delay, "fp", ARGV[2])
return tonumber(redis.call("HGET", KEYS[1], "since"))
`;

// KEYS[1] hold. ARGV: since. Clears the hold only if it is still the one that began at \`since\`.
const CLEAR = `
if redis.call("HGET", KEYS[1], "since") == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0
`;

// KEYS[1] health. ARGV: now, after ms, min failures. Returns 1 when the portal counts as unreachable.
const FAILED = `
redis.call("HSETNX", KEYS[1], "since", ARGV[1])
local failures = redis.call("HINCRBY", KEYS[1], "failures", 1)
redis.call("PEXPIRE", KEYS[1], 86400000)
local since = tonumber(redis.call("HGET", KEYS[1], "since"))
if failures >= tonumber(ARGV[3]) and tonumber(ARGV[1]) - since >= tonumber(ARGV[2]) then return 1 end
return 0
`;

function viewOf(raw: Record<string, string>): HoldView | null {
  if (raw.code === undefined) return null;
  const n = (k: string) => Number(raw[k] ?? 0) || 0;
  return {
    code: raw.code,
    description: raw.description ?? "",
    kind: (raw.kind as HoldKind | undefined) ?? "rights",
    since: n("since"),
    probes: n("probes"),
    nextProbeAt: n("nextProbeAt"),
    refusals: n("refusals"),
    heldSends: n("heldSends"),
    fingerprint: raw.fp ?? "",
  };
}

export class DeliveryHold {
  private cached: { view: HoldView | null; at: number } | undefined;

  constructor(private readonly deps: HoldDeps) {}

  /** The hold as last read (at most `cacheMs` old); null when delivery is not held. */
  async current(): Promise<HoldView | null> {
    const now = this.deps.now();
    if (this.cached && now - this.cached.at < this.deps.settings.cacheMs) return this.cached.view;
    return this.refresh();
  }

  /**
   * True while this process's sends are refused until the hold's next probe: held (as Redis has it
   * now), with the credentials the portal refused. New credentials (a reload) probe at once.
   */
  async blocksUntilProbe(): Promise<boolean> {
    const view = await this.refresh();
    return view !== null && !(await this.credentialsChanged(view));
  }

  /** The hold as last read, without asking Redis (for synchronous stats). */
  lastKnown(): HoldView | null {
    return this.cached?.view ?? null;
  }

  async refresh(): Promise<HoldView | null> {
    const view = viewOf(await this.deps.redis.hgetall(this.deps.holdKey));
    this.cached = { view, at: this.deps.now() };
    return view;
  }

  /**
   * For a request about to go: `open`, or `probe` when held and this process took the probe;
   * otherwise throws `DeliveryError("held")` without sending anything. `mayProbe: false` for requests
   * whose answer says nothing about the hold's cause (a file upload carries its own one-time token).
   */
  async admit(mayProbe = true): Promise<Admission> {
    const view = await this.current();
    if (view === null) return OPEN;
    if (!mayProbe) throw this.heldError(view);
    const fingerprint = await this.deps.fingerprint();
    const now = this.deps.now();
    if (view.nextProbeAt <= now || view.fingerprint !== fingerprint) {
      const { probeMinMs, probeMaxMs } = this.deps.settings;
      const claimed = Number(
        await this.deps.redis.eval(
          CLAIM_PROBE,
          1,
          this.deps.holdKey,
          now,
          fingerprint,
          probeMinMs,
          probeMaxMs,
        ),
      );
      if (claimed === -1) {
        this.cached = { view: null, at: now }; // cleared meanwhile
        return OPEN;
      }
      if (claimed > 0) {
        this.cached = undefined;
        this.deps.onProbe?.();
        this.deps.logger?.info(
          { code: view.code, probe: view.probes + 1 },
          "delivery held: probing the portal",
        );
        return { probe: true, since: claimed };
      }
    }
    throw this.heldError(view);
  }

  /**
   * Without taking a probe: throws `DeliveryError("held")` when held and no probe is due for this
   * process, so a caller rejects a send at once instead of queueing it for the sender.
   */
  async check(): Promise<void> {
    const view = await this.current();
    if (view === null) return;
    if (view.nextProbeAt <= this.deps.now()) return;
    if (view.fingerprint !== (await this.deps.fingerprint())) return;
    this.countHeld(view.code, 1);
    throw this.heldError(view);
  }

  /** A refusal of the whole portal: enters the hold (or counts the refusal in the current one). */
  async enter(error: BitrixError | { code: string; description: string }): Promise<void> {
    const now = this.deps.now();
    const kind = holdKind(error.code);
    const created = Number(
      await this.deps.redis.eval(
        ENTER,
        1,
        this.deps.holdKey,
        error.code,
        error.description.slice(0, 300),
        kind,
        now,
        await this.deps.fingerprint(),
        this.deps.settings.probeMinMs,
      ),
    );
    this.cached = undefined;
    if (created === 1) {
      void this.deps.metrics?.count(`holds.${error.code}`);
      this.deps.logger?.error(
        { code: error.code, kind, description: error.description },
        "delivery held: the portal refuses every request until this is fixed",
      );
    }
  }

  /** The portal answered: a probe's answer clears the hold; any answer ends an unreachable spell. */
  async answered(admission: Admission): Promise<void> {
    await this.deps.redis.del(this.deps.healthKey);
    if (!admission.probe) return;
    const view = await this.refresh();
    if (view === null) return;
    // Only the hold this probe was for: one entered meanwhile has another `since` and stays.
    const removed = Number(await this.deps.redis.eval(CLEAR, 1, this.deps.holdKey, String(admission.since)));
    this.cached = undefined;
    if (removed === 1) {
      const heldMs = this.deps.now() - view.since;
      void this.deps.metrics?.count("holds.cleared");
      this.deps.logger?.info(
        { code: view.code, heldMs, probes: view.probes, heldSends: view.heldSends },
        "delivery hold cleared: the portal answers again",
      );
      this.deps.onCleared?.();
    }
  }

  /**
   * The portal did not answer (a connection that failed, a timeout, a 5xx). After
   * `unreachableAfterMs` without any answer the portal is held as unreachable. Returns true when
   * delivery is now held.
   */
  async unanswered(error: BitrixError): Promise<boolean> {
    const { unreachableAfterMs, unreachableMinFailures } = this.deps.settings;
    const unreachable = Number(
      await this.deps.redis.eval(
        FAILED,
        1,
        this.deps.healthKey,
        this.deps.now(),
        unreachableAfterMs,
        unreachableMinFailures,
      ),
    );
    if (unreachable !== 1) return (await this.current()) !== null;
    await this.enter({
      code: "PORTAL_UNREACHABLE",
      description: `no answer for ${Math.round(unreachableAfterMs / 1000)} s; last: ${error.code}: ${error.description}`,
    });
    return true;
  }

  /** Counts `n` groups (or uploads) refused because delivery is held, in the hold and the metrics. */
  countHeld(code: string, n: number): void {
    if (n <= 0) return;
    void this.deps.redis.hincrby(this.deps.holdKey, "heldSends", n).catch(() => undefined);
    void this.deps.metrics?.count(`held.${code}`, n);
  }

  /**
   * True when this process now sends other credentials than the refused ones (reloaded meanwhile):
   * its next request probes at once, so a send refused with the old ones need not wait for the schedule.
   */
  async credentialsChanged(view: HoldView): Promise<boolean> {
    return view.fingerprint !== (await this.deps.fingerprint());
  }

  /**
   * The rejection of a send while held (counting is the caller's: it knows how many groups);
   * `probeNow` when a probe is due at once (see `credentialsChanged`).
   */
  heldError(view: HoldView, probeNow = false): DeliveryError {
    const retryAfterMs = probeNow ? 0 : Math.max(0, view.nextProbeAt - this.deps.now());
    return new DeliveryError(
      "held",
      { code: view.code, description: `delivery held: ${view.description}`, retryable: true },
      0,
      retryAfterMs,
    );
  }
}
