import type { Redis } from "ioredis";
import type { RedisKeys } from "../redis/keys.ts";
import type { CallState } from "./types.ts";

/** How long an ended call's state is kept for workers and re-processing. */
export const ENDED_CALL_TTL_SEC = 7 * 24 * 3600;

/**
 * The version a writer read before it applied an event: the stored version must still be exactly this
 * for the write to go through (compare-and-set). `null`: the call must not be stored yet.
 */
export type ExpectedVersion = number | null;

/**
 * The durable home of call states. The app writes a state before it publishes the job that points
 * at it; workers only read.
 *
 * `put(state, expected)` is compare-and-set: it stores only if the stored version is still the one the
 * writer read, so two writers (an old process after a restart, a retry racing a late reply) can never
 * lose each other's updates; the refused writer reloads and re-applies its event (the reducer is pure).
 * Re-sending the very write that was already stored (a reply lost on a reconnect) is a success.
 * Without `expected` (tools, tests, seeding a folded state) a write only refuses to go backwards.
 */
export class CallStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async get(callId: string): Promise<CallState | undefined> {
    const json = await this.redis.get(this.keys.call(callId));
    if (!json) return undefined;
    const state: unknown = JSON.parse(json);
    if (!looksLikeCallState(state, callId))
      throw new Error(`the stored state of call ${callId} is not a CallState`);
    return state;
  }

  /**
   * Stores the state; returns false (and stores nothing) when the stored version is not `expected`
   * (or, without `expected`, when a newer version is stored). An ended call also enters
   * `undeliveredCalls` (score = end time) in the same step, until a worker delivers, skips or fails it
   * for good: the sweeper's safety net for a job that got lost.
   */
  async put(state: CallState, expected?: ExpectedVersion): Promise<boolean> {
    const ended = state.phase === "ended";
    const endedMs = Date.parse(state.endedAt ?? "");
    const mode = expected === undefined ? "seed" : expected === null ? "new" : "cas";
    const result = await this.redis.eval(
      PUT_SCRIPT,
      3,
      this.keys.call(state.callId),
      this.keys.activeCalls,
      this.keys.undeliveredCalls,
      JSON.stringify(state),
      String(state.version),
      state.callId,
      String(Date.parse(state.startedAt)),
      ended ? "1" : "0",
      String(ENDED_CALL_TTL_SEC),
      String(Number.isNaN(endedMs) ? Date.now() : endedMs),
      mode,
      String(expected ?? 0),
    );
    return result === 1;
  }

  /** Deletes a call's state (a call the app gave up before anybody acted on it). */
  async remove(callId: string): Promise<void> {
    await this.redis
      .multi()
      .del(this.keys.call(callId))
      .zrem(this.keys.activeCalls, callId)
      .zrem(this.keys.undeliveredCalls, callId)
      .exec();
  }

  /** Calls that have started and not ended, oldest first. */
  async activeCallIds(): Promise<string[]> {
    return this.redis.zrange(this.keys.activeCalls, 0, -1);
  }
}

/**
 * A state of this call (a JSON value under another call's key, or not a state at all, is refused).
 * The app is the only writer (via `put`), so the rest of the shape is trusted.
 */
function looksLikeCallState(value: unknown, callId: string): value is CallState {
  const s = value as Partial<Record<keyof CallState, unknown>> | null;
  return (
    typeof s === "object" &&
    s !== null &&
    s.callId === callId &&
    typeof s.version === "number" &&
    typeof s.phase === "string"
  );
}

// KEYS: call, active, undelivered.
// ARGV: json, version, callId, startedMs, ended, ttl, endedMs, mode (seed | new | cas), expected.
const PUT_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then return 1 end
local stored = nil
if current then stored = tonumber(cjson.decode(current).version) end
if ARGV[8] == 'cas' then
  if stored ~= tonumber(ARGV[9]) then return 0 end
elseif ARGV[8] == 'new' then
  if current then return 0 end
elseif stored and stored > tonumber(ARGV[2]) then
  return 0
end
if ARGV[5] == '1' then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[6]))
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('ZADD', KEYS[3], tonumber(ARGV[7]), ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[2], tonumber(ARGV[4]), ARGV[3])
end
return 1
`;
