import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { redisKeys } from "../../../core/redis/keys.ts";
import { ClusterLimiter } from "../../../workers/delivery/leakyBucket.ts";
import { useRedis } from "../../support/redisServer.ts";

const run = promisify(execFile);
const shared = useRedis();

/** Replays grant times through the portal's own bucket; returns the highest level reached. */
function peakLevel(times: number[], drainPerSec: number): number {
  let level = 0;
  let last = times[0] ?? 0;
  let peak = 0;
  for (const t of times) {
    level = Math.max(0, level - ((t - last) / 1000) * drainPerSec) + 1;
    last = t;
    peak = Math.max(peak, level);
  }
  return peak;
}

test("given 3 processes hammering one limiter, then together they never overflow the portal's bucket", async () => {
  const burst = 10;
  const drain = 5;
  const durationMs = 3000;
  const child = fileURLToPath(new URL("./fixtures/limiterHammer.ts", import.meta.url));
  const outputs = await Promise.all(
    [0, 1, 2].map(() =>
      run(
        process.execPath,
        [
          "--import",
          "tsx",
          child,
          shared.url,
          "shared3",
          String(burst),
          String(drain),
          String(durationMs),
          "4",
        ],
        {
          timeout: 30_000,
        },
      ),
    ),
  );
  const times = outputs
    .flatMap((o) => JSON.parse(o.stdout.trim().split("\n").pop()!) as number[])
    .sort((a, b) => a - b);
  const perProcess = outputs.map((o) => (JSON.parse(o.stdout.trim().split("\n").pop()!) as number[]).length);
  assert.ok(peakLevel(times, drain) <= burst, `peak ${peakLevel(times, drain)} > burst ${burst}`);
  // After the burst, the combined rate stays at or below the drain rate.
  const afterBurst = times.slice(burst);
  const spanSec = (afterBurst.at(-1)! - afterBurst[0]!) / 1000;
  assert.ok(afterBurst.length - 1 <= drain * spanSec + 2, `${afterBurst.length} grants in ${spanSec}s`);
  // ... and the budget is actually used (capacity 8 + ~5/s for most of the run), by every process.
  assert.ok(times.length >= 8 + drain * 2, `only ${times.length} grants`);
  for (const n of perProcess) assert.ok(n > 0, "a process starved");
});

function limiterFor(prefix: string, burst: number, drain: number): ClusterLimiter {
  const keys = redisKeys(prefix);
  return new ClusterLimiter({
    redis: shared.redis,
    bucketKey: keys.limiter("p"),
    pauseKey: (m) => keys.methodPause("p", m),
    limits: { burst, drainPerSec: drain },
  });
}

test("given bulk requests waiting, when an interactive one arrives, then it goes first", async () => {
  const limiter = limiterFor("lanes", 4, 5); // capacity 3
  const order: string[] = [];
  const all: Promise<void>[] = [];
  for (let i = 0; i < 6; i++) all.push(limiter.acquire("bulk").then(() => void order.push(`b${i}`)));
  await new Promise((r) => setTimeout(r, 20));
  all.push(limiter.acquire("interactive").then(() => void order.push("i")));
  await Promise.all(all);
  limiter.close();
  const idx = order.indexOf("i");
  assert.ok(idx <= 4, `interactive came ${idx}th: ${order.join(",")}`);
});

test("given a 503, when the bucket is filled, then the next request waits about one drain interval", async () => {
  const limiter = limiterFor("fill", 10, 5); // capacity 8
  await limiter.acquire("bulk");
  await limiter.onRateLimited();
  const t0 = Date.now();
  await limiter.acquire("bulk");
  const waited = Date.now() - t0;
  limiter.close();
  assert.ok(waited >= 150 && waited < 600, `waited ${waited} ms`);
});

test("given a paused method, then its requests wait while other methods go", async () => {
  const limiter = limiterFor("pause", 50, 2);
  // The pause is absolute: measured against its end, not against when the (Redis) write returned.
  const until = Date.now() + 400;
  await limiter.pauseMethod("telephony.externalcall.finish", until);
  const t0 = Date.now();
  let otherAt = 0;
  const paused = limiter.acquire("bulk", ["telephony.externalcall.finish"]).then(() => Date.now());
  const other = limiter.acquire("bulk", ["user.get"]).then(() => (otherAt = Date.now() - t0));
  const [pausedEnd] = await Promise.all([paused, other]);
  limiter.close();
  assert.ok(pausedEnd >= until - 20, `paused method went ${until - pausedEnd} ms before the pause ended`);
  assert.ok(otherAt < 200, `other method waited ${otherAt} ms`);
});

test("given no limits (box), then acquire only honours pauses", async () => {
  const keys = redisKeys("off");
  const limiter = new ClusterLimiter({
    redis: shared.redis,
    bucketKey: keys.limiter("p"),
    pauseKey: (m) => keys.methodPause("p", m),
    limits: null,
  });
  const t0 = Date.now();
  for (let i = 0; i < 200; i++) await limiter.acquire("bulk");
  limiter.close();
  assert.ok(Date.now() - t0 < 2000);
});
