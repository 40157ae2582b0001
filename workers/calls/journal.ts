import type { Redis } from "ioredis";
import type { RedisKeys } from "../../core/redis/keys.ts";

/**
 * The per-call step journal: what the portal already has for one call. It is written only from the
 * portal's answers; an `intentAt` is stored before a step is sent, so a worker that died between
 * sending and storing the answer leaves a trace that the next worker resolves (see reconcileCall.ts).
 */

export type JournalStep = "register" | "cards" | "finish" | "record" | "statistic" | "directory";

export interface StepMark {
  /** Set just before the step was sent. */
  intentAt?: string;
  /** Set from the portal's answer. */
  doneAt?: string;
}

export interface FinishMark extends StepMark {
  statusCode: string;
  duration: number;
  userId: number;
  activityId?: string;
}

export interface RecordMark extends StepMark {
  /** Path relative to the recording spool, as in CallState.recording.file. */
  file: string;
  /** Set when the recording cannot be attached for good (missing file, format); the call stays delivered. */
  error?: string;
}

export interface StepJournal {
  callId: string;
  /** Bitrix24 CALL_ID from register (or from the statistic record after a crash). */
  bxCallId?: string;
  /** USER_ID the call was registered for. */
  registeredFor?: number;
  register: StepMark;
  /** Users whose card is shown now (as far as the portal confirmed). */
  cardsShownTo: number[];
  finish?: FinishMark;
  record?: RecordMark;
  failed?: { reason: string; code: string; at: string; step: JournalStep };
  /** Set when the call is not one for the CRM (internal, …). */
  skipped?: { reason: string; at: string };
  /** Set once the call has nothing left to send. */
  deliveredAt?: string;
  /** Consecutive reconcile attempts that ended with a transient delivery failure. */
  attempts: number;
}

export function emptyJournal(callId: string): StepJournal {
  return { callId, register: {}, cardsShownTo: [], attempts: 0 };
}

/** Journals outlive the call state (7 days), so re-processing still finds what the CRM has. */
export const JOURNAL_TTL_SEC = 30 * 24 * 3600;

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
