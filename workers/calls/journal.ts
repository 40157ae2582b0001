import type { Redis } from "ioredis";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { RecordingSource } from "../../core/hooks/api.ts";
import type { ParamValue } from "../delivery/types.ts";

/**
 * The per-call step journal: what the portal already has for one call. It is written only from the
 * portal's answers; an `intentAt` is stored before a step is sent, so a worker that died between
 * sending and storing the answer leaves a trace that the next worker resolves (see reconcileCall.ts).
 */

/** A step of the journal, as named in failure records. */
export type JournalStep =
  "register" | "cards" | "finish" | "record" | "statistic" | "extra" | "directory" | "hold";

export interface StepMark {
  /** Set just before the step was (last) sent. */
  intentAt?: string;
  /** Set from the portal's answer. */
  doneAt?: string;
  /**
   * The last send of the step got no readable answer: the portal may have run it (a timeout, a reset
   * after sending, a 5xx, an unreadable 200, a worker that died while it was in flight). Measured from
   * here, an unanswered request may still run at the portal for `workers.inFlightWindowMs`.
   */
  ambiguousAt?: string;
}

export interface RegisterMark extends StepMark {
  /**
   * The parameters of the register that was sent, stored with its first intent. Every re-send uses
   * exactly these: the portal returns the existing CALL_ID for a repeat with the same PHONE_NUMBER,
   * TYPE, USER_ID, LINE_NUMBER and EXTERNAL_CALL_ID within 30 minutes of the first one, while the call
   * is live — recomputed parameters (another user after a transfer) would create a second call.
   */
  params?: Record<string, ParamValue>;
  /** When the register was first sent: the portal's 30-minute re-registration window starts here. */
  firstIntentAt?: string;
  /**
   * A PHONE_NUMBER the portal refused ("Unsupported phone number format"): the next register goes out
   * with the placeholder (`numbers.withheldNumber`) — a bad number never fails a call.
   */
  refusedNumber?: string;
}

export interface FinishMark extends StepMark {
  statusCode: string;
  duration: number;
  userId: number;
  activityId?: string;
  /** The portal answered "Call is not found" to a finish: its statistics decide what happened. */
  notFoundAt?: string;
}

export interface RecordMark extends StepMark {
  /** Path relative to the recording spool, as in CallState.recording.file. */
  file: string;
  /** Set when the recording cannot be attached for good (missing file, format); the call stays delivered. */
  error?: string;
  /** Where the attached recording came from (a spool file, or a link a customization gave). */
  source?: RecordingSource;
}

/** A command beyond register/cards/finish/record (e.g. a customization's own), journaled by a stable key. */
export interface ExtraMark extends StepMark {
  method: string;
  /** Safe to send twice (ExtraCommand.idempotent); decides what an unanswered send leads to. */
  idempotent: boolean;
  /** The portal's answer, for whoever asked for the command (a customization may use it later). */
  result?: unknown;
  /** Refused, or unanswered and not safe to send twice: the command is not sent again. */
  error?: string;
  /** A customization's command: fingerprint of method + params when first sent (core/hooks/commandKey.ts). */
  digest?: string;
  /** The answer was larger than the journal keeps. */
  resultDropped?: boolean;
}

export interface StepJournal {
  callId: string;
  /** Bitrix24 CALL_ID from register (or from the statistic record after an unanswered request). */
  bxCallId?: string;
  /** USER_ID the call was registered for. */
  registeredFor?: number;
  /** When the portal's own CALL_ID of a click-to-call was taken over (workers/calls/portalCall.ts). */
  portalCallAdoptedAt?: string;
  register: RegisterMark;
  /** Users whose card is shown now (as far as the portal confirmed). */
  cardsShownTo: number[];
  finish?: FinishMark;
  record?: RecordMark;
  /** Further commands by stable key, each sent exactly once (intent before send, answer after). */
  extra?: Record<string, ExtraMark>;
  /** The CRM entity register's answer bound the call to (CRM_ENTITY_TYPE / CRM_ENTITY_ID). */
  crmEntity?: { type: string; id: number };
  /** Event hook points whose customizations ran for this call (core/hooks/events.ts key → when). */
  hookEvents?: Record<string, string>;
  failed?: { reason: string; code: string; at: string; step: JournalStep };
  /** Failures an admin re-processed (newest last, a few kept). */
  previousFailures?: { reason: string; code: string; at: string; step: JournalStep; reprocessedAt: string }[];
  /** Set when the call is not one for the CRM (internal, …). */
  skipped?: { reason: string; at: string };
  /** Set once the call has nothing left to send. */
  deliveredAt?: string;
  /** First time delivery was held for this call (cluster-wide hold); cleared by the next answer. */
  heldSince?: string;
  /**
   * The call was rebuilt from Asterisk's records and had no journal: an earlier journal may have
   * expired with the call in the CRM. Nothing is sent before the statistics answered (found: adopted;
   * none: register+finish); set when the check was planned, cleared by its answer.
   */
  verifyFirst?: string;
  /** Consecutive reconcile attempts that ended with a transient delivery failure. */
  attempts: number;
}

export function emptyJournal(callId: string): StepJournal {
  return { callId, register: {}, cardsShownTo: [], attempts: 0 };
}

/** Journals outlive the call state (7 days), so re-processing still finds what the CRM has. */
export const JOURNAL_TTL_SEC = 30 * 24 * 3600;

/** Sent and not answered (yet): the portal may have run it. */
export function isPending(mark: StepMark | undefined): boolean {
  return mark?.intentAt !== undefined && mark.doneAt === undefined;
}

/**
 * Until when (ms) an unanswered send of this step may still run at the portal: the window starts at
 * the LAST attempt (its intent, or the moment its outcome was known, whichever is later), never the first.
 */
export function inFlightUntil(mark: StepMark | undefined, windowMs: number): number {
  if (!isPending(mark)) return 0;
  const last = Math.max(Date.parse(mark!.intentAt!), Date.parse(mark!.ambiguousAt ?? "") || 0);
  return last + windowMs;
}

/** Raised when the per-call lock was lost (expired, taken over) before a journal write. */
export class LockLost extends Error {
  constructor(readonly callId: string) {
    super(`lock of call ${callId} was lost before the journal was written`);
    this.name = "LockLost";
  }
}

export class JournalStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async get(callId: string): Promise<StepJournal | undefined> {
    const json = await this.redis.get(this.keys.journal(callId));
    if (!json) return undefined;
    const journal: unknown = JSON.parse(json);
    if (!looksLikeJournal(journal, callId))
      throw new Error(`the journal of call ${callId} is not a StepJournal`);
    return journal;
  }

  /**
   * Stores the journal only while `lockToken` still holds the call's lock (fencing): a worker whose
   * lock expired cannot overwrite what its successor wrote.
   */
  async put(journal: StepJournal, lockToken: string): Promise<void> {
    const stored = await this.redis.eval(
      FENCED_SET,
      2,
      this.keys.callLock(journal.callId),
      this.keys.journal(journal.callId),
      lockToken,
      JSON.stringify(journal),
      String(JOURNAL_TTL_SEC),
    );
    if (stored !== 1) throw new LockLost(journal.callId);
  }
}

/** The fields every journal has (`emptyJournal`); the rest is optional and checked where it is read. */
function looksLikeJournal(value: unknown, callId: string): value is StepJournal {
  const j = value as Partial<Record<keyof StepJournal, unknown>> | null;
  return (
    typeof j === "object" &&
    j !== null &&
    j.callId === callId &&
    typeof j.register === "object" &&
    j.register !== null &&
    Array.isArray(j.cardsShownTo) &&
    typeof j.attempts === "number"
  );
}

// KEYS: lock, journal. ARGV: token, json, ttl.
const FENCED_SET = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', tonumber(ARGV[3]))
return 1
`;
