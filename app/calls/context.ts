import type { Config } from "../../core/config/schema.ts";
import type { HookRunner } from "../../core/hooks/runner.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { AriRest } from "../ari/rest.ts";
import type { CrmLookups } from "../../core/crmLookup/protocol.ts";
import type { DurableWriter } from "./durableWriter.ts";
import type { RedisHealth, RoutingRedis } from "./redisHealth.ts";
import type { ServerIdentity } from "./serverIdentity.ts";
import type { KeyedSerial } from "./serial.ts";
import type { CallSession } from "./session.ts";
import type { CallSessions } from "./sessions.ts";
import type { CallTimers } from "./timers.ts";

/**
 * What one feature does when another feature's step is done. app/calls/ never imports a feature
 * folder; the features plug in here, and app/callControl.ts wires them in one place.
 */
export interface CallReactions {
  /** A ringing leg ended unanswered while nobody talks (routing: ring whom the hunt has left). */
  legFailed(ctx: CallContext, call: CallSession, legId: string): Promise<void>;
  /** A transfer target answered (transfers: it joins the client). */
  transferAnswered(ctx: CallContext, call: CallSession, legId: string): Promise<void>;
  /** Client and operator are bridged (recording: start). */
  bridged(ctx: CallContext, call: CallSession): Promise<void>;
  /** The call ended in the model (recording: make sure its end is known). */
  ended(ctx: CallContext, call: CallSession): void;
}

/** Everything the call-control features share; built once in app/callControl.ts (or a test). */
export interface CallContext {
  config: Config;
  rest: AriRest;
  logger: Logger;
  /** The app's live-state keys are scoped by this server (core/redis/keys.ts `serverScopedKeys`). */
  keys: RedisKeys;
  /** This Asterisk server: call ids are `callIdOf(linkedid)`. */
  server: ServerIdentity;
  /** The calls this process controls; `session.change(…)` is the one way to change a call. */
  sessions: CallSessions;
  /** Durable, ordered call writes (also for late events of ended calls). */
  writer: DurableWriter;
  /** Redis for the routing path: bounded reads, non-blocking bookkeeping writes. */
  redis: RoutingRedis;
  health: RedisHealth;
  /** Per-call serial execution of ARI event handling and timers. */
  serial: KeyedSerial;
  timers: CallTimers;
  /** Client number normaliser (libphonenumber + rewrite rules). */
  normalise: (raw: string) => string;
  reactions: CallReactions;
  /** CRM lookups answered by the workers (manager-first routing); absent in tests that need none. */
  lookups?: CrmLookups;
  /** The customization hooks of this process (app/hooks/appHooks.ts); absent: the connector's own choices. */
  hooks?: HookRunner;
  /** Counters (`originate.failed.<reason>`); best effort, absent in some tests. */
  metrics?: Metrics;
}

export function nowIso(): string {
  return new Date().toISOString();
}
