import type { Redis } from "ioredis";
import type { RedisKeys } from "../core/redis/keys.ts";
import type { RunningEmulator } from "../emulator/server.ts";
import type { ExpectedCrm } from "./expectations.ts";
import { failIfExited, type BenchStack, type WorkerProcess } from "./stack.ts";
import { groupByExternalId, isSettled, type EmulatorCall, type EmulatorRequest } from "./verifier.ts";

/** The benchmark's view of the emulator: its state endpoint, its control endpoints, and polling. */

export interface EmulatorState {
  now: number;
  calls: EmulatorCall[];
  requests: EmulatorRequest[];
  config?: { bucketLevel?: number };
}

/** `GET /_emulator/state`; with `sinceMs`, only the calls and requests since then. */
export async function emulatorState(emulator: RunningEmulator, sinceMs?: number): Promise<EmulatorState> {
  const query = sinceMs === undefined ? "" : `?since=${sinceMs}`;
  const response = await fetch(`${emulator.url}/_emulator/state${query}`);
  if (!response.ok) throw new Error(`emulator state: HTTP ${response.status}`);
  return (await response.json()) as EmulatorState;
}

export async function emulatorControl(
  emulator: RunningEmulator,
  endpoint: string,
  body: unknown,
): Promise<void> {
  const response = await fetch(`${emulator.url}/_emulator/${endpoint}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`emulator ${endpoint}: HTTP ${response.status} ${await response.text()}`);
}

/** The workers' start-up requests (user.get) drain away, so each run starts with a full burst. */
export async function waitForFullBucket(emulator: RunningEmulator): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const level = (await emulatorState(emulator, Date.now())).config?.bucketLevel ?? 0;
    if (level <= 0.01) return;
    await sleep(200);
  }
}

export interface WatchInput {
  stack: BenchStack;
  emulator: RunningEmulator;
  redis: Redis;
  keys: RedisKeys;
  expected: ExpectedCrm[];
  workers: WorkerProcess[];
  t0: number;
  timeoutSec: number;
}

/**
 * Polls the emulator (only calls changed since the last poll) until every call is complete, or every
 * call is complete or recorded as failed by the workers, or the time is up.
 */
export async function watchUntilSettled(w: WatchInput): Promise<{ doneAt: number; timedOut: boolean }> {
  const pollMs = w.expected.length >= 500 ? 400 : 250;
  const seen = new Map<string, EmulatorCall>();
  const pending = new Set(w.expected.map((e) => e.callId));
  const byCallId = new Map(w.expected.map((e) => [e.callId, e]));
  let since = w.t0 - 1;
  for (;;) {
    const state = await emulatorState(w.emulator, since);
    since = state.now - 2_000; // overlap: a call written while the snapshot was built is seen again
    for (const call of state.calls) seen.set(call.CALL_ID, call);
    const byId = groupByExternalId([...seen.values()]);
    for (const callId of pending) {
      if (isSettled(byCallId.get(callId)!, byId.get(callId))) pending.delete(callId);
    }
    w.stack.sampleRss(w.workers);
    const now = Date.now();
    if (pending.size === 0) return { doneAt: now, timedOut: false };
    const failed = new Set(await w.redis.zrange(w.keys.failedCalls, 0, -1));
    if ([...pending].every((id) => failed.has(id))) return { doneAt: now, timedOut: false };
    if (now - w.t0 > w.timeoutSec * 1000) return { doneAt: now, timedOut: true };
    await failIfExited(w.workers);
    await sleep(pollMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
