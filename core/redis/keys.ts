/**
 * Every Redis key the project uses, in one place, under one configurable prefix, so that the app,
 * the workers and the tools agree and a test can isolate itself with its own prefix.
 */
export interface RedisKeys {
  /** JSON CallState of one call. */
  call(callId: string): string;
  /** Sorted set of calls not yet ended (score = start time ms). */
  activeCalls: string;
  /** Per-call CRM step journal (JSON). */
  journal(callId: string): string;
  /** Short per-call lock held by the worker that reconciles it. */
  callLock(callId: string): string;
  /** Set by a job that found the call locked: the lock's holder reconciles once more before it stops. */
  callWorkLeft(callId: string): string;
  /** Sorted set of calls whose delivery failed for good (score = time ms). */
  failedCalls: string;
  /** Sorted set of calls fully delivered (score = time ms). */
  deliveredCalls: string;
  /**
   * Sorted set of ended calls not yet delivered, skipped or failed for good (score = end time ms):
   * what the workers' sweeper looks at, so no call is left without a job.
   */
  undeliveredCalls: string;
  /** Short lock of the sweep round (one worker sweeps at a time). */
  sweepLock: string;
  /**
   * An admin asked to re-process this failed call (value = request time ms): the worker that takes the
   * call next clears its failed mark under the call's lock, keeping what the CRM already has.
   */
  reprocessRequest(callId: string): string;
  /** Hash of counters for one minute (`YYYYMMDDHHmm`). */
  metricsMinute(minute: string): string;
  /** Hash of error counters for one hour (`YYYYMMDDHH`), kept eight days (core/metrics/errorStats.ts). */
  metricsHour(hour: string): string;
  /** The last self-audit's report (JSON), and one report by its id (workers/audit/). */
  auditLatest: string;
  auditReport(id: string): string;
  /** The last self-audit's summary (JSON, small): what `/status` reads instead of the whole report. */
  auditLatestSummary: string;
  /**
   * Hash: server id -> when an app instance last learnt it (core/calls/serverScope.ts). The workers'
   * audit turns Asterisk's linkedids into call ids with it when `asterisk.serverId` is not configured.
   */
  servers: string;
  /** Hash: component name -> JSON heartbeat. */
  heartbeats: string;
  /** One process's Prometheus registry as JSON, refreshed with its heartbeat, expiring with it. */
  promSnapshot(component: string): string;
  /** Shared leaky-bucket limiter state for one portal. */
  limiter(portal: string): string;
  /** Per-method pause after OPERATION_TIME_LIMIT. */
  methodPause(portal: string, method: string): string;
  /** Cluster-wide hold of delivery to one portal (hash: cause, since, probes, counts). */
  deliveryHold(portal: string): string;
  /** Unanswered requests to one portal since the last answer (hash: since, failures). */
  deliveryHealth(portal: string): string;
  /** Shared command queue of one portal: groups waiting for the sender, in submission order. */
  deliveryQueue(portal: string): string;
  /** Wake-up tokens for the portal's sender (a short list it blocks on). */
  deliveryWake(portal: string): string;
  /** Hash: group id -> where it is (queued, taken by a sender, sent by a sender). */
  deliveryGroups(portal: string): string;
  /** Lease of the one process that sends the portal's batches. */
  deliverySender(portal: string): string;
  /** Answers for the groups of one delivery instance (a list it blocks on). */
  deliveryResults(owner: string): string;
  /** OAuth token record and its refresh lock. */
  oauthTokens(portal: string): string;
  oauthRefreshLock(portal: string): string;
  /** Cached CRM user directory (extension -> user). */
  userDirectory(portal: string): string;
  /** A Bitrix24 event already taken (by its dedupe key, e.g. the portal's CALL_ID), kept a day. */
  crmEventSeen(key: string): string;
  /** A click of this user on this number was taken in the last seconds (repeated clicks ignored). */
  clickGuard(userId: number, number: string): string;
  /** Stream of Bitrix24 events the workers' offline poller took from `event.offline.get`, for the app. */
  crmEventStream: string;
  /** Lock of the offline poll round (one worker polls at a time). */
  crmEventPollLock: string;
  /** Round-robin bookkeeping per group (extension -> last offered ms). */
  roundRobin(group: string): string;
  /** Operators currently in a call (extension -> callId). */
  busyOperators: string;
  /** The app's control record of one call (JSON: channels, bridge, hunt), kept 1 h after the end. */
  appControl(callId: string): string;
  /** Hash of the app: ARI channel id -> call id, for the channels of live calls. */
  appChannels: string;
  /** Hash of the app's observe mode: call id -> what it knows of a followed dialplan call (JSON). */
  appObserved: string;
  /** When the app of one ARI application was last alive (epoch ms): a restarted app's resync uses it. */
  appAlive(ariApp: string): string;
  /** A re-processing run (`/pbx/read_call`): JSON of its request and progress, kept `cdr.runTtlSec`. */
  reprocessRun(runId: string): string;
  /** List of the run's per-call results (JSON), in the order the calls were done. */
  reprocessRunCalls(runId: string): string;
  /** List of CRM lookups the app asks the workers for (JSON requests, newest first; trimmed). */
  crmLookupRequests: string;
  /** Pub/sub channel the workers publish lookup answers on. */
  crmLookupReplies: string;
  /** A number's cached lookup answer (JSON, with a TTL). */
  crmLookupCache(number: string): string;
  /** A callback form already taken for this number and line (SET NX with the dedupe window). */
  callbackSeen(numberAndLine: string): string;
}

export function redisKeys(prefix = "itgrix"): RedisKeys {
  const p = prefix;
  return {
    call: (id) => `${p}:call:${id}`,
    activeCalls: `${p}:calls:active`,
    journal: (id) => `${p}:journal:${id}`,
    callLock: (id) => `${p}:lock:call:${id}`,
    callWorkLeft: (id) => `${p}:lock:call-left:${id}`,
    failedCalls: `${p}:calls:failed`,
    deliveredCalls: `${p}:calls:delivered`,
    undeliveredCalls: `${p}:calls:undelivered`,
    sweepLock: `${p}:lock:sweep`,
    reprocessRequest: (id) => `${p}:reprocess:${id}`,
    metricsMinute: (m) => `${p}:metrics:${m}`,
    metricsHour: (h) => `${p}:metrics:h:${h}`,
    auditLatest: `${p}:audit:latest`,
    auditReport: (id) => `${p}:audit:report:${id}`,
    auditLatestSummary: `${p}:audit:latest:summary`,
    servers: `${p}:servers`,
    heartbeats: `${p}:heartbeats`,
    promSnapshot: (component) => `${p}:metrics:prom:${component}`,
    limiter: (portal) => `${p}:limiter:${portal}`,
    methodPause: (portal, method) => `${p}:limiter:${portal}:pause:${method.toLowerCase()}`,
    deliveryHold: (portal) => `${p}:delivery:${portal}:hold`,
    deliveryHealth: (portal) => `${p}:delivery:${portal}:health`,
    deliveryQueue: (portal) => `${p}:delivery:${portal}:queue`,
    deliveryWake: (portal) => `${p}:delivery:${portal}:wake`,
    deliveryGroups: (portal) => `${p}:delivery:${portal}:groups`,
    deliverySender: (portal) => `${p}:delivery:${portal}:sender`,
    deliveryResults: (owner) => `${p}:delivery:results:${owner}`,
    oauthTokens: (portal) => `${p}:oauth:${portal}`,
    oauthRefreshLock: (portal) => `${p}:oauth:${portal}:lock`,
    userDirectory: (portal) => `${p}:directory:${portal}`,
    crmEventSeen: (key) => `${p}:crmevent:seen:${key}`,
    clickGuard: (userId, number) => `${p}:crmevent:click:${userId}:${number}`,
    crmEventStream: `${p}:crmevents`,
    crmEventPollLock: `${p}:lock:crmevents:poll`,
    roundRobin: (group) => `${p}:rr:${group}`,
    busyOperators: `${p}:operators:busy`,
    appControl: (id) => `${p}:app:ctl:${id}`,
    appChannels: `${p}:app:channels`,
    appObserved: `${p}:app:observed`,
    appAlive: (app) => `${p}:app:alive:${app}`,
    reprocessRun: (id) => `${p}:reprocess:${id}`,
    reprocessRunCalls: (id) => `${p}:reprocess:${id}:calls`,
    crmLookupRequests: `${p}:crmlookup:requests`,
    crmLookupReplies: `${p}:crmlookup:replies`,
    crmLookupCache: (number) => `${p}:crmlookup:cache:${number}`,
    callbackSeen: (key) => `${p}:callback:seen:${key}`,
  };
}

/** The app's keys of live state that belong to one Asterisk server (`asterisk.serverId`). */
export type ServerScopedKey = "appChannels" | "appObserved" | "appAlive" | "busyOperators" | "roundRobin";

/**
 * `keys` with the app's live-state keys scoped by server (`<prefix>:srv:<serverId>:…`), so several app
 * instances (one per Asterisk) share one Redis without touching each other's channels, busy operators,
 * round-robin or observed calls. `serverId` is read at each use: the app learns it at its first ARI connect.
 */
export function serverScopedKeys(keys: RedisKeys, prefix: string, serverId: () => string): RedisKeys {
  const at = (): string => `${prefix}:srv:${serverId()}`;
  const scoped: Pick<RedisKeys, ServerScopedKey> = {
    get appChannels() {
      return `${at()}:app:channels`;
    },
    get appObserved() {
      return `${at()}:app:observed`;
    },
    appAlive: (app) => `${at()}:app:alive:${app}`,
    get busyOperators() {
      return `${at()}:operators:busy`;
    },
    roundRobin: (group) => `${at()}:rr:${group}`,
  };
  return Object.defineProperties({ ...keys }, Object.getOwnPropertyDescriptors(scoped));
}
