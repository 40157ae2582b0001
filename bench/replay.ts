import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { CallStore } from "../core/calls/callStore.ts";
import { lifecycleJobId, type LifecycleJob } from "../core/jobs/lifecycle.ts";
import type { RedisKeys } from "../core/redis/keys.ts";
import type { GeneratedCall } from "./callMix.ts";
import { sleep } from "./emulatorPoll.ts";

/**
 * What the app would have left behind for the workers: every generated call's final state in the
 * CallStore and its `ended` lifecycle job in the queue.
 */

export async function storeStates(redis: Redis, keys: RedisKeys, calls: GeneratedCall[]): Promise<void> {
  const store = new CallStore(redis, keys);
  for (let i = 0; i < calls.length; i += 200) {
    await Promise.all(calls.slice(i, i + 200).map((c) => store.put(c.state)));
  }
}

/** Enqueues the `ended` job of every call; returns when each was enqueued (ms). */
export async function enqueue(
  queue: Queue,
  calls: GeneratedCall[],
  perSec: number,
): Promise<Map<string, number>> {
  const at = new Map<string, number>();
  const chunk = perSec > 0 ? Math.max(1, Math.round(perSec / 10)) : calls.length;
  const start = Date.now();
  for (let i = 0; i < calls.length; i += chunk) {
    if (perSec > 0) await sleep(start + (i / perSec) * 1000 - Date.now());
    const now = Date.now();
    const jobs = calls.slice(i, i + chunk).map((c) => {
      at.set(c.callId, now);
      const data: LifecycleJob = {
        callId: c.callId,
        version: c.state.version,
        kind: "ended",
        at: new Date(now).toISOString(),
      };
      const opts = {
        jobId: lifecycleJobId(c.callId, c.state.version),
        removeOnComplete: { age: 3600 },
        removeOnFail: { age: 86_400 },
      };
      return { name: "ended", data, opts };
    });
    await queue.addBulk(jobs);
  }
  return at;
}
