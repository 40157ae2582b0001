import { z } from "zod";
import { hooksConfigSchema } from "../hooks/config.ts";
import { DEFAULT_WITHHELD_NUMBER, withheldNumberProblem } from "../numbers/crmNumber.ts";
import { TABLE_NAME_PATTERN, TIME_ZONE_PATTERN } from "../records/recordTables.ts";

/**
 * The whole configuration of itgrix: one validated object, built by core/config/loadConfig.ts from
 * defaults, one JSON file and ITGRIX__* environment overrides. No module reads process.env itself.
 */

/** A JavaScript regular expression, compiled at start so a broken one stops the process naming its key. */
const regexPattern = z
  .string()
  .min(1)
  .superRefine((pattern, ctx) => {
    try {
      new RegExp(pattern);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: `not a valid regular expression: ${(err as Error).message}` });
    }
  });

/** pino's levels. */
const logLevel = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

const rewriteRule = z.object({
  /** JavaScript regular expression, anchored by the admin if needed, e.g. `^123(\\d{4})$`. */
  pattern: regexPattern,
  /** Replacement with $1… groups, e.g. `$1`. */
  replacement: z.string(),
});

/** `host:port` of one sentinel (IPv6 in brackets: `[::1]:26379`). */
const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):\d{1,5}$/, "expected host:port, e.g. 10.0.0.5:26379");

const redisSentinel = z.object({
  /** At least two of the three (or more) sentinels, so the app starts with one of them down. */
  sentinels: z.array(hostPort).min(1),
  /** The master name of `sentinel monitor <name> …` in sentinel.conf. */
  masterName: z.string().min(1),
  /** ACL user and password of the Redis servers (`requirepass` / `masterauth`), if set. */
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  /** Password of the sentinels themselves (`requirepass` in sentinel.conf), if set. */
  sentinelPassword: z.string().min(1).optional(),
  db: z.number().int().min(0).default(0),
  /** TLS to the sentinels and the servers (`tls-port` on both). */
  tls: z.boolean().default(false),
});

const cardMode = z.enum(["ring", "answer", "off"]);

const webhookAuth = z.object({
  type: z.literal("webhook"),
  /** Incoming webhook base URL: `https://portal/rest/{userId}/{secret}/`. */
  webhookUrl: z.string().url(),
});

const oauthAuth = z.object({
  type: z.literal("oauth"),
  /** REST endpoint of the portal, e.g. `https://portal/rest/` (client_endpoint). */
  restUrl: z.string().url(),
  /** OAuth server for refresh_token grants (the vendor's server, or the emulator's /oauth/token/). */
  oauthUrl: z.string().url().default("https://oauth.bitrix.info/oauth/token/"),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  /** Tokens to start with; after the first refresh the current pair lives in Redis. */
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
});

const offlineAuth = z.object({
  type: z.literal("offline"),
  /** REST endpoint of the portal, e.g. `https://portal/rest/`. */
  restUrl: z.string().url(),
  /** One or more long-lived token files (`token.json`, `token-1.json`, …); re-read when they change. */
  tokenFiles: z.array(z.string().min(1)).min(1),
});

const group = z.object({
  strategy: z.enum(["ringall", "sequential", "roundrobin"]).default("ringall"),
  /** Operator extensions, in order for `sequential`. */
  members: z.array(z.string().min(1)).min(1),
  /** How long one operator rings (sequential / roundrobin) before the next is tried. */
  ringTimeoutSec: z.number().int().positive().default(20),
  /** How long the whole group is tried before overflow (or the call is given up). */
  groupTimeoutSec: z.number().int().positive().default(60),
  /** Group to try when this one times out or nobody is available. */
  overflow: z.string().optional(),
});

const ivr = z.object({
  /** ARI media URI played after answering, e.g. `sound:demo-enterextension`. */
  prompt: z.string().default("sound:demo-enterextension"),
  /** Seconds to wait for the first / next digit. */
  digitTimeoutSec: z.number().positive().default(5),
  maxDigits: z.number().int().positive().default(4),
  /** How long the extension chosen in the IVR rings before the call goes on to the DID's group. */
  extensionRingTimeoutSec: z.number().int().positive().default(15),
});

/** Ring the caller's own CRM manager first (app/routing/managerFirst.ts). */
const managerFirst = z.object({
  /** How long the responsible manager rings before the DID's group is tried. */
  ringSec: z.number().int().positive().default(15),
});

const did = z.object({
  group: z.string().min(1),
  ivr: ivr.optional(),
  managerFirst: managerFirst.optional(),
});

/** The CRM lookup behind manager-first routing: answered by the workers, never awaited for long. */
const managerLookup = z
  .object({
    /** The longest a caller waits for the lookup before the group rings (≤ 1500). */
    timeoutMs: z.number().int().min(50).max(1500).default(1000),
    /** How long a found manager is cached (Redis, shared by every app and worker). */
    cacheTtlSec: z.number().int().min(0).default(300),
    /** How long "no CRM entity / no manager" is cached. */
    missCacheTtlSec: z.number().int().min(0).default(60),
    /** Skip a manager whose work day is closed, paused or expired (Bitrix24 TIMEMAN_STATUS). */
    respectWorkTime: z.boolean().default(true),
  })
  .prefault({});

/** The CRM callback form (ONEXTERNALCALLBACKSTART): ring a group, then dial the client. */
const callback = z
  .object({
    /** Group for a callback whose LINE_NUMBER is not in routing.dids (else routing.defaultGroup). */
    group: z.string().min(1).optional(),
    /** ARI media URI played to the operator who answered, before the client is dialled. */
    announce: z.string().min(1).optional(),
    /** How long the client may ring once an operator took the callback. */
    clientRingTimeoutSec: z.number().int().positive().default(40),
    /** The same number on the same line again within this window is ignored (a repeated event). */
    dedupeWindowSec: z.number().int().min(1).default(300),
  })
  .prefault({});

export const configSchema = z
  .object({
    ari: z
      .object({
        url: z.string().url().default("http://127.0.0.1:8088"),
        user: z.string().min(1).default("itgrix"),
        password: z.string().min(1).default("itgrix"),
        app: z.string().min(1).default("itgrix"),
        /** Reconnect backoff cap; the adapter retries for ever (a failed attempt costs one HTTP request). */
        reconnectMaxDelayMs: z.number().int().positive().default(2_000),
        /** Websocket ping; a socket silent for 2.5 intervals (a dead TCP path) is dropped and reconnected. */
        pingIntervalMs: z.number().int().min(200).default(15_000),
        /** ARI REST requests in flight at most; keep it well under Asterisk's http.conf `sessionlimit`. */
        maxConcurrentRequests: z.number().int().min(1).max(1000).default(50),
      })
      .prefault({}),
    redis: z
      .object({
        url: z.string().default("redis://127.0.0.1:6379"),
        /** Prefix of every key and queue, so several installations can share one Redis. */
        prefix: z.string().min(1).default("itgrix"),
        /**
         * The longest the app's routing path waits for Redis: a new call Redis cannot take in this time
         * goes back to the dialplan (its fallback rings); a live call's change goes to the outbox.
         */
        routingTimeoutMs: z.number().int().min(100).max(10_000).default(1500),
        /** The app's local write-ahead file for Redis outages (one per app process). */
        outboxFile: z.string().min(1).default("var/itgrix-app-outbox.jsonl"),
        /** Redis Sentinel instead of `url`: app and workers ask the sentinels for the current primary. */
        sentinel: redisSentinel.optional(),
        /**
         * Replicas that must confirm a call write (`WAIT`) before the app counts it as safe from a
         * failover; 0 = do not wait. Default: 1 with `sentinel`, 0 without.
         */
        confirmReplicas: z.number().int().min(0).max(5).optional(),
        /** How long a call write waits for that confirmation before it goes on unconfirmed. */
        confirmTimeoutMs: z.number().int().min(10).max(10_000).default(500),
      })
      .prefault({}),
    http: z
      .object({
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8077),
        /** Admin endpoints (re-processing, …) require HTTP Basic with these credentials. */
        adminUser: z.string().min(1).default("admin"),
        adminPassword: z.string().optional(),
        /** Require the admin credentials for `GET /status` too (off: monitoring polls it without login). */
        statusAuth: z.boolean().default(false),
        /** Bearer token Prometheus may use for `GET /metrics` instead of the admin credentials. */
        metricsToken: z.string().min(16).optional(),
        /** Public base URL of this API as the portal sees it (for RECORD_URL links and event handlers). */
        publicUrl: z.string().url().optional(),
        /** Key for signing expiring recording links. */
        signingKey: z.string().min(16).optional(),
        /** How long a signed recording link (`crm.recordDelivery: "url"`) stays valid. */
        recordLinkTtlSec: z.number().int().positive().default(86_400),
      })
      .prefault({}),
    bitrix: z
      .object({
        auth: z.discriminatedUnion("type", [webhookAuth, oauthAuth, offlineAuth]).optional(),
        /** `auth[application_token]` that incoming events must carry. */
        applicationToken: z.string().optional(),
        plan: z.enum(["standard", "enterprise", "box"]).default("standard"),
        /** Overrides the plan's leaky bucket; `null` switches the limiter off. */
        rateLimit: z
          .object({ burst: z.number().int().positive(), drainPerSec: z.number().positive() })
          .nullable()
          .optional(),
        requestTimeoutMs: z.number().int().positive().default(120_000),
        /** Batches in flight at once (1 = a single sequential queue). */
        parallelBatches: z.number().int().positive().default(4),
        batchMaxCommands: z.number().int().min(1).max(50).default(50),
        /** How long the micro-batcher waits for more commands before sending a batch that is not full. */
        batchWaitMs: z.number().int().min(0).default(50),
        /** Per-method execution-time budget per 10 minutes (OPERATION_TIME_LIMIT); slowed down above 80 %. */
        operatingLimitSec: z.number().positive().default(480),
        retry: z
          .object({
            baseDelayMs: z.number().int().positive().default(500),
            maxDelayMs: z.number().int().positive().default(60_000),
            /** After this many failed attempts a call is recorded as failed (re-processing picks it up). */
            maxAttempts: z.number().int().positive().default(12),
          })
          .prefault({}),
        /**
         * The cluster-wide hold: a refusal of the whole portal (credentials, scope, OVERLOAD_LIMIT,
         * 408/413, token file) or no answer for `unreachableAfterSec` stops delivery but for one probe
         * at a time, `probeMinMs` after the hold began, doubling up to `probeMaxMs`.
         */
        hold: z
          .object({
            probeMinMs: z.number().int().positive().default(1_000),
            probeMaxMs: z.number().int().positive().default(60_000),
            unreachableAfterSec: z.number().int().positive().default(60),
          })
          .prefault({}),
      })
      .prefault({}),
    crm: z
      .object({
        /** CRM_CREATE on register: create a lead when no contact/company/lead matches. */
        createLeads: z.boolean().default(true),
        addToChat: z.boolean().default(true),
        /** Responsible user when no CRM user rang or answered. */
        defaultUserId: z.number().int().positive().optional(),
        cardMode: cardMode.default("ring"),
        /** Per-user card mode by Bitrix24 user id or by extension. */
        cardModeByUser: z.record(z.string(), cardMode).default({}),
        /** Register operator-to-operator calls too. */
        registerInternal: z.boolean().default(false),
        /** How often the user directory (user.get UF_PHONE_INNER) is refreshed. */
        directoryRefreshSec: z.number().int().positive().default(300),
        /** An unknown extension refreshes the directory at most this often. */
        directoryMissRefreshSec: z.number().int().positive().default(30),
        /** Delivery of recordings: upload the file, or hand the portal a signed link to this API. */
        recordDelivery: z.enum(["upload", "url"]).default("upload"),
      })
      .prefault({}),
    numbers: z
      .object({
        /** Region for parsing national numbers (libphonenumber), e.g. RU: `8 495 …` → `+7495…`. */
        defaultRegion: z.string().length(2).default("RU"),
        /** Rewrites of client numbers (#TO#), applied in order after parsing. */
        clientRewrite: z.array(rewriteRule).default([]),
        /** Rewrites of operator extensions for the CRM (#FROM#), e.g. `^123(\\d{4})$` → `$1`. */
        userRewrite: z.array(rewriteRule).default([]),
        /** PHONE_NUMBER for callers without a usable number (withheld, anonymous, empty); see crmNumber.ts. */
        withheldNumber: z
          .string()
          .default(DEFAULT_WITHHELD_NUMBER)
          .superRefine((number, ctx) => {
            const problem = withheldNumberProblem(number);
            if (problem) ctx.addIssue({ code: "custom", message: problem });
          }),
      })
      .prefault({}),
    routing: z
      .object({
        /** Operator phones known to the PBX (PJSIP endpoint names = extensions). */
        operators: z.array(z.string().min(1)).default([]),
        /** Channel technology of operator phones. */
        operatorTech: z.string().default("PJSIP"),
        groups: z.record(z.string(), group).default({}),
        dids: z.record(z.string(), did).default({}),
        /** Group used for a DID that is not configured. */
        defaultGroup: z.string().optional(),
        /** Outbound dial string; `{number}` is replaced by the normalised number. */
        trunkDialString: z.string().default("PJSIP/{number}@trunk"),
        /** Dialled numbers matching this are internal extensions. */
        internalPattern: regexPattern.default("^\\d{2,5}$"),
        /** Seconds an outbound call may ring at the client. */
        outboundRingTimeoutSec: z.number().int().positive().default(60),
        managerLookup,
        callback,
      })
      .prefault({}),
    events: z
      .object({
        /**
         * How Bitrix24 events reach the app: `online` (the portal POSTs to `/bitrix/events`), `offline`
         * (a worker polls `event.offline.get` and hands them over through Redis: no inbound connection),
         * or `both`.
         */
        delivery: z.enum(["online", "offline", "both"]).default("online"),
        /** Interval of the offline poll (one worker polls at a time). */
        offlinePollMs: z.number().int().min(200).max(60_000).default(1500),
        /** Events asked per poll (`limit` of event.offline.get). */
        offlinePollLimit: z.number().int().min(1).max(1000).default(50),
        /**
         * With OAuth or offline-token auth: the workers bind the handlers at start (`event.bind`:
         * online handlers need `http.publicUrl`; offline ones need an admin's token).
         */
        bindOnStart: z.boolean().default(false),
        /** Seconds the clicking user's phone rings before the click-to-call gives up. */
        clickRingTimeoutSec: z.number().int().positive().default(30),
        /** A click of the same user on the same number within this many seconds is ignored. */
        repeatClickSec: z.number().int().min(0).default(5),
        /**
         * A click the app could not take at once (Redis away) is still rung if taken within this many
         * seconds of its arrival; later it is finished as failed with the reason (nobody waits that long).
         */
        clickMaxWaitSec: z.number().int().min(1).max(3600).default(20),
      })
      .prefault({}),
    recording: z
      .object({
        enabled: z.boolean().default(false),
        format: z.enum(["wav", "gsm", "ulaw", "sln16"]).default("wav"),
        /** Asterisk's recording spool as seen by the app host (for serving files to workers/portal). */
        spoolDir: z.string().default("/var/spool/asterisk/recording"),
      })
      .prefault({}),
    workers: z
      .object({
        /** Lifecycle jobs handled at once per worker process. */
        concurrency: z.number().int().positive().default(200),
        /** Reconcile attempts of one call that end in a delivery failure before it is recorded as failed. */
        jobAttempts: z.number().int().positive().default(8),
        /** First retry delay after a delivery failure; doubles per attempt (with jitter, capped at 10 min). */
        jobBackoffMs: z.number().int().positive().default(2_000),
        /** Lock of a job and of a call while a worker handles it; a dead worker's jobs come back after it. */
        jobLockMs: z.number().int().min(1000).default(30_000),
        /** An ended call not yet delivered this long after its end, with no job waiting, is queued again. */
        sweepAfterSec: z.number().int().positive().default(120),
        /** How often a worker looks for such calls (one worker at a time, under a Redis lock). */
        sweepIntervalMs: z.number().int().min(100).default(30_000),
        /**
         * How long after its last attempt an unanswered request (timeout, reset, 5xx, unreadable
         * answer, dead worker) may still run at the portal; an unanswered register+finish without a
         * statistic record is not sent again before this has passed.
         */
        inFlightWindowMs: z.number().int().min(100).default(120_000),
        /**
         * The longest one call waits behind a cluster-wide delivery hold (revoked credentials, …)
         * before it is failed with HELD_TOO_LONG for re-processing. Below the 7 days the call state
         * is kept, so the failed call can still be re-processed.
         */
        maxHoldSec: z
          .number()
          .int()
          .min(60)
          .max(6 * 24 * 3600)
          .default(3 * 24 * 3600),
        /** Entries of the delivered-calls index older than this are trimmed by the sweeper. */
        keepDeliveredSec: z
          .number()
          .int()
          .min(60)
          .default(7 * 24 * 3600),
        /** Entries of the failed-calls index older than this are trimmed (the journal is kept 30 days). */
        keepFailedSec: z
          .number()
          .int()
          .min(60)
          .default(30 * 24 * 3600),
        /** Heartbeats of processes not seen for this long are removed (restarted workers get new ids). */
        keepHeartbeatsSec: z
          .number()
          .int()
          .min(60)
          .default(24 * 3600),
      })
      .prefault({}),
    cdr: z
      .object({
        /**
         * PostgreSQL database Asterisk writes its CDR and CEL into (`postgres://user:password@host/db`);
         * without it re-processing from Asterisk's records is off.
         */
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
          .optional(),
        celTable: z.string().regex(TABLE_NAME_PATTERN, "must be a table name").default("cel"),
        cdrTable: z.string().regex(TABLE_NAME_PATTERN, "must be a table name").default("cdr"),
        /** The zone Asterisk writes `timestamp` columns in (UTC with the shipped `usegmtime`/`timezone`). */
        timeZone: z.string().regex(TIME_ZONE_PATTERN, "must be a time zone name").default("UTC"),
        connectTimeoutMs: z.number().int().positive().default(5_000),
        queryTimeoutMs: z.number().int().positive().default(30_000),
        /** Calls one re-processing run takes at most (a date range is cut there, and the run says so). */
        maxCallsPerRun: z.number().int().positive().default(5_000),
        /** How long a run's progress and results stay readable (`GET /pbx/read_call/<run>`). */
        runTtlSec: z
          .number()
          .int()
          .positive()
          .default(7 * 24 * 3600),
      })
      .prefault({}),
    /** The self-audit (workers/audit/, docs/admin-guide.md "Self-audit"); it needs `cdr.url`. */
    audit: z
      .object({
        /** Run it on a schedule (a BullMQ repeatable job); on demand it always runs. */
        enabled: z.boolean().default(true),
        /** When it runs: a cron pattern in the workers' time zone (default: daily at 04:00). */
        cron: z
          .string()
          .regex(/^\s*\S+(\s+\S+){4,5}\s*$/, "must be a cron pattern of 5 or 6 fields")
          .default("0 4 * * *"),
        /** The period one run compares: this many hours ending `settleMinutes` ago. */
        periodHours: z
          .number()
          .int()
          .positive()
          .max(24 * 31)
          .default(24),
        /** Calls that ended this recently are left to the next run (they may still be on their way). */
        settleMinutes: z.number().int().nonnegative().default(15),
        /** Also compare the portal's call statistics (`voximplant.statistic.get`): doubles, wrong fields. */
        checkPortal: z.boolean().default(true),
        /** Re-process missing and failed calls (false: report only). */
        repair: z.boolean().default(true),
        /** How long a run waits for its repairs to reach the CRM before it reports them to a person. */
        verifyTimeoutSec: z.number().int().positive().default(600),
        /** Talk time may differ this much between the CRM and Asterisk's records. */
        durationToleranceSec: z.number().int().nonnegative().default(2),
        /** Calls one run audits at most (the report says when a period held more). */
        maxCalls: z.number().int().positive().default(100_000),
      })
      .prefault({}),
    log: z.object({ level: logLevel.default("info") }).prefault({}),
    /** This Asterisk server (several servers can share one Redis and one worker cluster). */
    asterisk: z
      .object({
        /**
         * Scopes call ids, the app's Redis keys and resync to this server. Default: Asterisk's
         * `systemname` (ARI /asterisk/info), else its entity id.
         */
        serverId: z
          .string()
          .regex(/^[A-Za-z0-9_.]{1,64}$/, "letters, digits, '_' and '.' only (at most 64)")
          .optional(),
      })
      .prefault({}),
    /**
     * Observe mode: calls the PBX's own dialplan routes (Dial(), Queue(), ring groups) are followed
     * over ARI and put into the CRM like the app's own. Off while both lists are empty.
     */
    observe: z
      .object({
        /** Dialplan contexts: a call whose first channel runs in one of them is followed. */
        contexts: z.array(z.string().min(1)).default([]),
        /** Endpoint names: a call whose first channel comes from one of them is followed (unless it enters Stasis). */
        trunks: z.array(z.string().min(1)).default([]),
      })
      .prefault({}),
    /** Customization hooks (core/hooks/config.ts, docs/hooks.md). */
    hooks: hooksConfigSchema,
  })
  .superRefine((cfg, ctx) => {
    if (cfg.crm.recordDelivery === "url") {
      for (const key of ["publicUrl", "signingKey"] as const) {
        if (cfg.http[key] !== undefined) continue;
        ctx.addIssue({
          code: "custom",
          path: ["http", key],
          message: 'required when crm.recordDelivery is "url" (the portal fetches recordings by signed link)',
        });
      }
    }
    for (const [name, g] of Object.entries(cfg.routing.groups)) {
      if (g.overflow !== undefined && !(g.overflow in cfg.routing.groups)) {
        ctx.addIssue({
          code: "custom",
          path: ["routing", "groups", name, "overflow"],
          message: `unknown group "${g.overflow}"`,
        });
      }
    }
    const callbackGroup = cfg.routing.callback.group;
    if (callbackGroup !== undefined && !(callbackGroup in cfg.routing.groups)) {
      ctx.addIssue({
        code: "custom",
        path: ["routing", "callback", "group"],
        message: `unknown group "${callbackGroup}"`,
      });
    }
    for (const [number, d] of Object.entries(cfg.routing.dids)) {
      if (!(d.group in cfg.routing.groups)) {
        ctx.addIssue({
          code: "custom",
          path: ["routing", "dids", number, "group"],
          message: `unknown group "${d.group}"`,
        });
      }
    }
  });

export type Config = z.infer<typeof configSchema>;
export type CardMode = z.infer<typeof cardMode>;
export type GroupConfig = z.infer<typeof group>;
export type ManagerFirstConfig = z.infer<typeof managerFirst>;
export type BitrixAuthConfig = NonNullable<Config["bitrix"]["auth"]>;
