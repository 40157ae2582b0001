/**
 * No slow leak: after many calls of every ending (answered, ring-all with losers, busy skipped, missed
 * by timeout, cancelled by the caller), every per-call structure of the app is empty again — sessions,
 * channel index, timers, serial queues, write queues, cached states — and so are the app's Redis
 * indexes of live calls. Prints the sizes and the heap before and after.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { placeCall, startOperator, stopAll, type PlaceCallOptions } from "../../support/sipp.ts";
import { startApp, type AppUnderTest } from "./harness.ts";

const WARMUP = 12;
const CALLS = 60;
const CONCURRENT = 6;

/** The call mix: DID and caller behaviour, taken in turn. */
const MIX: Omit<PlaceCallOptions, "from" | "callerPort">[] = [
  { to: "4950000001", talkMs: 400 }, // sales: 101 answers
  { to: "4950000002", talkMs: 400 }, // trio: 103 answers, 102 rings and loses, 104 is busy
  { to: "4950000005", hangupBeforeAnswerMs: 600 }, // short: 110 rings, the caller gives up
  { to: "4950000002", talkMs: 200 },
  { to: "4950000005", hangupBeforeAnswerMs: 10_000 }, // short: nobody answers in 4 s, missed
  { to: "4950000001", talkMs: 300 },
];

function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

function heapMb(): number {
  collectGarbage();
  return Math.round((process.memoryUsage().heapUsed / 1024 / 1024) * 10) / 10;
}

describe("no per-call leak after many calls", () => {
  let app: AppUnderTest;
  before(async () => {
    app = await startApp();
    await startOperator({ extension: 101, behaviour: { answerAfterMs: 200 } });
    await startOperator({ extension: 102, behaviour: "noAnswer" });
    await startOperator({ extension: 103, behaviour: { answerAfterMs: 400 } });
    await startOperator({ extension: 104, behaviour: "busy" });
    await startOperator({ extension: 110, behaviour: "noAnswer" });
  });
  after(async () => {
    await stopAll();
    await app?.close();
  });

  test(`given ${CALLS} calls of every kind, when they are over, then every per-call map of the app is empty`, async () => {
    const place = async (count: number, first: number): Promise<void> => {
      let next = first;
      const caller = async (port: number): Promise<void> => {
        while (next < first + count) {
          const n = next++;
          const from = `7495900${String(n).padStart(4, "0")}`;
          await placeCall({ ...MIX[n % MIX.length]!, from, callerPort: port });
        }
      };
      await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => caller(15070 + i)));
      const deadline = Date.now() + 20_000;
      while ((await app.calls()).filter((c) => c.phase === "ended").length < first + count) {
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      await app.control.ctx.serial.idle();
      await app.control.ctx.writer.idle();
      app.channels.clear(); // the test's own record of channels, not the app's
    };
    await place(WARMUP, 0); // the first calls load code, scripts and connections: not a leak
    const heapBefore = heapMb();
    await place(CALLS, WARMUP);
    const calls = await app.calls();
    assert.equal(calls.length, WARMUP + CALLS, "every call is in the model");
    assert.equal(calls.filter((c) => c.phase !== "ended").length, 0, "and ended");
    const sizes = app.control.sizes();
    const heapAfter = heapMb();
    process.stdout.write(
      `# ${CALLS} calls after ${WARMUP} warm-up calls: per-call sizes after ${JSON.stringify(sizes)}; heap ${heapBefore} MB before, ${heapAfter} MB after\n`,
    );
    assert.deepEqual(sizes, {
      sessions: 0,
      channels: 0,
      timers: 0,
      serialQueues: 0,
      writeQueues: 0,
      cachedStates: 0,
    });
    const redis = app.redis;
    assert.equal(await redis.hlen(app.control.ctx.keys.appChannels), 0, "channel index emptied");
    assert.equal(await redis.zcard(`${app.prefix}:calls:active`), 0, "no active call left");
    assert.equal(await redis.hlen(app.control.ctx.keys.busyOperators), 0, "no operator left busy");
    const controls = await redis.keys(`${app.prefix}:app:ctl:*`);
    const ttls = await Promise.all(controls.map((k) => redis.ttl(k)));
    assert.ok(
      ttls.every((t) => t > 0),
      "control records of ended calls expire",
    );
  });
});
