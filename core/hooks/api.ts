/**
 * The published API of itgrix customizations: everything a customization module is written against.
 * Integrators import it as `import type { Customization } from "itgrix/hooks"` (`npm run hooks --
 * check` maps that name here); the repository's own modules import this file directly. Types only:
 * nothing here exists at run time, so a customization never depends on the connector's internals.
 *
 * A customization is a module whose default export is a `Customization`: a map from hook points to
 * middleware `(ctx, next) => value | undefined`. The connector's own computation is the innermost
 * layer; `await next()` gives what the layers inside yours made of it; returning nothing keeps it.
 */
import type {
  CallState,
  ClientResult,
  Direction,
  IvrInput,
  Leg,
  LegPurpose,
  Recording,
  Transfer,
} from "../calls/types.ts";
// What `telephony.externalcall.finish`'s STATUS_CODE is mapped from: the decision's own type.
import type { CallOutcome } from "../calls/decisions/statusCode.ts";

export type { CallOutcome };
export type { CallState, ClientResult, Direction, IvrInput, Leg, LegPurpose, Recording, Transfer };

/** A read-only view, all the way down (the call model given to hooks is deep-frozen as well). */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** The call model (one call per Asterisk linkedid), as the hooks see it. */
export type CallView = DeepReadonly<CallState>;

// ---------------------------------------------------------------------------------------------
// Values that hook points compute
// ---------------------------------------------------------------------------------------------

/** A CRM user chosen for a call, with the reason (free text for customizations, e.g. "support"). */
export interface UserChoice {
  userId: number;
  reason: string;
}

/** Where an inbound call goes first. */
export type InboundRoute =
  | { kind: "group"; group: string }
  /** The DID's IVR (configured in `routing.dids.<did>.ivr`), then `group`. */
  | { kind: "ivr"; group: string }
  /** One extension for `ringSec` seconds, then `thenGroup` (or the call ends unanswered). */
  | { kind: "extension"; extension: string; ringSec: number; thenGroup?: string }
  /** Not answered at all (the call is recorded as missed). */
  | { kind: "hangup"; reason: string };

/** Where the recording that goes to the CRM comes from. */
export type RecordingSource =
  /** A file in Asterisk's recording spool (relative path, e.g. `itgrix/<linkedid>.wav`). */
  | { kind: "file"; file: string }
  /** A link the portal downloads itself (attachRecord RECORD_URL). */
  | { kind: "url"; url: string; fileName: string }
  /** No recording for this call. */
  | { kind: "none"; reason: string };

/** `telephony.externalcall.register` parameters a hook may set (EXTERNAL_CALL_ID and SHOW are the connector's). */
export interface RegisterParams {
  USER_ID: number;
  PHONE_NUMBER: string;
  /** 1 outgoing, 2 incoming, 3 incoming with redirection, 4 callback, 5 informational. */
  TYPE: 1 | 2 | 3 | 4 | 5;
  LINE_NUMBER: string;
  /** ISO-8601 with an offset. */
  CALL_START_DATE: string;
  CRM_CREATE: 0 | 1;
  CRM_SOURCE?: string;
  CRM_ENTITY_TYPE?: "CONTACT" | "COMPANY" | "LEAD";
  CRM_ENTITY_ID?: number;
}

/** `telephony.externalcall.finish` parameters a hook may set (CALL_ID is the connector's). */
export interface FinishParams {
  USER_ID: number;
  DURATION: number;
  STATUS_CODE: string;
  ADD_TO_CHAT: 0 | 1;
  COST?: number;
  COST_CURRENCY?: string;
  FAILED_REASON?: string;
  VOTE?: number;
}

/** `telephony.externalcall.attachRecord` parameters a hook may set (CALL_ID is the connector's). */
export interface AttachRecordParams {
  FILENAME: string;
  RECORD_URL?: string;
}

/** An ARI originate a hook may adjust (channel id, Stasis app and arguments are the connector's). */
export interface OriginateParams {
  /** Dial string, e.g. `PJSIP/101` or `PJSIP/+74951234567@trunk`. */
  endpoint: string;
  callerId: string;
  timeoutSec: number;
  variables: Record<string, string>;
}

/** What finished: the finish as the portal confirmed it. */
export interface FinishedCall {
  /** Bitrix24 CALL_ID. */
  bxCallId: string;
  /** CRM_ACTIVITY_ID from finish's answer, when the portal created an activity. */
  activityId: string | null;
  userId: number;
  duration: number;
  statusCode: string;
}

export type OriginatePurpose = "operator" | "trunk" | "clickToCall";

// ---------------------------------------------------------------------------------------------
// The hook points: input (besides the call) and value (what a hook may return)
// ---------------------------------------------------------------------------------------------

type NoInput = Record<never, never>;

/**
 * Every hook point. `side` says which process runs it (app = the Stasis app, while the phone rings;
 * workers = the reconciler that talks to the CRM; both = each of them). Event points have no value:
 * their hooks act (CRM commands, a database write) and return nothing.
 */
export interface HookPoints {
  shouldProcessCall: { side: "workers"; input: NoInput; value: boolean };
  normalizeClientNumber: {
    side: "both";
    input: { raw: string; purpose: "register" | "dial" };
    value: string;
  };
  normalizeUserNumber: {
    side: "workers";
    input: { number: string; direction: "toCrm" | "fromCrm" };
    value: string;
  };
  resolveLine: { side: "workers"; input: NoInput; value: string };
  routeInbound: { side: "app"; input: { did: string; callerNumber: string }; value: InboundRoute };
  ivrExtension: { side: "app"; input: { digits: string }; value: string | null };
  beforeRing: {
    side: "app";
    input: { kind: "group" | "extension"; target: string; purpose: LegPurpose };
    value: string[];
  };
  beforeOriginate: {
    side: "app";
    input: { purpose: OriginatePurpose; extension: string | null; number: string | null };
    value: OriginateParams;
  };
  onOriginateFailed: {
    side: "app";
    input: {
      purpose: OriginatePurpose;
      endpoint: string;
      /** HTTP status of ARI's answer (0: no answer). */
      status: number;
      error: string;
    };
    value: void;
  };
  registerUser: { side: "workers"; input: NoInput; value: UserChoice | null };
  cardAudience: { side: "workers"; input: NoInput; value: number[] };
  beforeRegister: { side: "workers"; input: NoInput; value: RegisterParams };
  afterRegister: {
    side: "workers";
    input: {
      bxCallId: string;
      userId: number;
      /** The CRM entity the portal bound the call to, when it said. */
      crmEntity: { type: string; id: number } | null;
    };
    value: void;
  };
  onAnswer: {
    side: "workers";
    input: { bxCallId: string; legId: string; extension: string; userId: number | null; at: string };
    value: void;
  };
  onTransfer: {
    side: "workers";
    input: {
      bxCallId: string;
      /** Position in `call.transfers`. */
      index: number;
      kind: "blind" | "attended";
      fromExtension: string;
      toExtension: string;
      fromUserId: number | null;
      toUserId: number | null;
      at: string;
    };
    value: void;
  };
  resolveResponsible: { side: "workers"; input: NoInput; value: UserChoice | null };
  talkDuration: { side: "workers"; input: NoInput; value: number };
  statusCode: { side: "workers"; input: { outcome: CallOutcome }; value: string };
  beforeFinish: {
    side: "workers";
    /** `bxCallId` is null when register and finish travel in one batch (a call that ended unregistered). */
    input: { bxCallId: string | null };
    value: FinishParams;
  };
  afterFinish: { side: "workers"; input: FinishedCall; value: void };
  onMissed: { side: "workers"; input: FinishedCall; value: void };
  onIvrMissed: {
    side: "workers";
    input: { extension: string; digits: string; userId: number | null };
    value: void;
  };
  recordingSource: { side: "workers"; input: { delivery: "upload" | "url" }; value: RecordingSource };
  beforeAttachRecord: {
    side: "workers";
    input: { bxCallId: string; source: RecordingSource };
    value: AttachRecordParams;
  };
  afterAttachRecord: {
    side: "workers";
    input: { bxCallId: string; activityId: string | null; source: RecordingSource };
    value: void;
  };
  onCallFailed: {
    side: "workers";
    input: { step: string; code: string; reason: string };
    value: void;
  };
}

export type HookPointName = keyof HookPoints;
export type HookInput<P extends HookPointName> = HookPoints[P]["input"];
export type HookValue<P extends HookPointName> = HookPoints[P]["value"];
export type HookSide<P extends HookPointName> = HookPoints[P]["side"];

// ---------------------------------------------------------------------------------------------
// What a hook can use
// ---------------------------------------------------------------------------------------------

export type CrmParam = string | number | boolean | null | CrmParam[] | { [key: string]: CrmParam };
export type CrmParams = { [key: string]: CrmParam };

export interface CrmCallOptions {
  /**
   * Names this command within your hook, for the journal (default: its position among your hook's
   * commands: "#1", "#2", …). Give one when the number of commands depends on data, e.g. a user id.
   */
  key?: string;
  /** Journal it (sent once per call) — default: yes, except reads (`*.get`, `*.list`, `*.search*`, …). */
  journal?: boolean;
  /**
   * An earlier attempt was sent but its answer never stored (a worker died): "skip" does not send it
   * again (default: never doubled), "resend" sends it again (for idempotent commands: updates, TAG'ed
   * notifications).
   */
  ifUnknown?: "skip" | "resend";
}

/**
 * The portal, through the connector's own limiter and batcher. Journaled commands are exactly-once
 * per call: a re-run of your hook (a retried job) gets the stored answer instead of sending again.
 * A command the portal refuses throws a `HookCrmError`-like error (`code`, `description`).
 */
export interface HookCrm {
  call<T = unknown>(method: string, params?: CrmParams, options?: CrmCallOptions): Promise<T>;
}

/** Asterisk's PostgreSQL (`cdr.url`, the database of the CDR/CEL tables), when configured: parameterised queries. */
export interface HookDb {
  query<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<{ rows: Row[] }>;
}

/** The pino logger, bound to the call id, the point and the customization. */
export interface HookLogger {
  debug(obj: object, msg?: string): void;
  debug(msg: string): void;
  info(obj: object, msg?: string): void;
  info(msg: string): void;
  warn(obj: object, msg?: string): void;
  warn(msg: string): void;
  error(obj: object, msg?: string): void;
  error(msg: string): void;
}

/** The CRM user directory (extensions as dialled in Asterisk → Bitrix24 user ids). */
export interface UserLookup {
  userIdByExtension(extension: string): number | undefined;
}

/** The parts of the configuration a customization may read (nothing secret). */
export interface HookConfigView {
  routing: {
    operators: readonly string[];
    groups: Readonly<Record<string, { readonly members: readonly string[] }>>;
    dids: Readonly<Record<string, { readonly group: string }>>;
  };
  numbers: {
    defaultRegion: string;
    clientRewrite: readonly { readonly pattern: string; readonly replacement: string }[];
    userRewrite: readonly { readonly pattern: string; readonly replacement: string }[];
  };
  crm: { readonly defaultUserId?: number; readonly addToChat: boolean };
}

interface BaseContext<P extends HookPointName, O> {
  readonly point: P;
  /** Asterisk linkedid = Bitrix24 EXTERNAL_CALL_ID. */
  readonly callId: string;
  readonly call: CallView;
  readonly input: DeepReadonly<HookInput<P>>;
  /** What the connector itself computed (the innermost layer); `await next()` is what the layers inside yours made of it. */
  readonly value: DeepReadonly<HookValue<P>>;
  /** This customization's options (`hooks.shipped.<name>.options` / `hooks.options.<name>`). */
  readonly options: O;
  readonly config: DeepReadonly<HookConfigView>;
  readonly log: HookLogger;
  /** Aborted when the point's time limit is reached (pass it to anything that can be cancelled). */
  readonly signal: AbortSignal;
  /** Asterisk's PostgreSQL (`cdr.url`), when it is configured. */
  readonly db: HookDb | undefined;
}

/** Workers-side points also reach the CRM and the user directory; app-side points never talk to Bitrix24. */
interface WorkersContext {
  readonly crm: HookCrm;
  readonly users: UserLookup;
}

export type HookContext<P extends HookPointName, O = unknown> = BaseContext<P, O> &
  (HookSide<P> extends "workers" ? WorkersContext : Record<never, never>);

/** What a hook returns: a replacement value, or nothing to keep `await next()`. */
export type HookResult<P extends HookPointName> = DeepReadonly<HookValue<P>> | undefined | void;

/** One layer. `next()` runs the layers inside this one once (later calls give the same answer). */
export type Middleware<P extends HookPointName, O = unknown> = (
  ctx: HookContext<P, O>,
  next: () => Promise<DeepReadonly<HookValue<P>>>,
) => HookResult<P> | Promise<HookResult<P>>;

export type HookMap<O = unknown> = { [P in HookPointName]?: Middleware<P, O> };

/** Given once when a customization is loaded (and again on every reload). */
export interface SetupContext<O> {
  readonly options: O;
  readonly config: DeepReadonly<HookConfigView>;
  readonly log: HookLogger;
}

/** The default export of a customization module. */
export interface Customization<O = Record<string, unknown>> {
  /** One line for logs and `npm run hooks -- list`. */
  description?: string;
  /**
   * Checks the options from the configuration and returns them typed; throw to refuse them (the
   * module is then not loaded and the message names the key). Without it the raw options are given.
   */
  parseOptions?(raw: Record<string, unknown>): O;
  /** Runs at load: warn about configuration problems, prepare caches. A throw refuses the module. */
  setup?(env: SetupContext<O>): void | Promise<void>;
  hooks: HookMap<O>;
}
