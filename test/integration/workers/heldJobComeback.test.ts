import assert from "node:assert/strict";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { describe, it } from "node:test";
import { LIFECYCLE_QUEUE } from "../../../core/jobs/lifecycle.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import { startLifecycleConsumer } from "../../../workers/calls/lifecycleConsumer.ts";
import type { ReconcileOutcome } from "../../../workers/calls/callOutcome.ts";
import { useRedis } from "../../support/redisServer.ts";
import { waitFor } from "./workerHarness.ts";

/**
 * A held job is put back to wait a minute for the hold's next probe. The hold may clear, or the
 * credentials be reloaded, while it is being put back (the promotion that follows either has already
 * run): then the job comes back at once, and only then — a hold that still blocks keeps it waiting.
 * Real Redis and BullMQ; the reconciler is scripted.
 */
describe("a held job put back while the hold clears", () => {
  const server = useRedis();
  const HELD: ReconcileOutcome = {
    status: "retry",
    delayMs: 60_000,
    error: { code: "INVALID_CREDENTIALS", description: "refused", retryable: true },
    held: true,
  };

  async function run(holdBlocks: boolean): Promise<{ runs: number; delayed: number }> {
    const prefix = `h${Math.random().toString(36).slice(2, 8)}`;
    const connection = new Redis(server.url, { maxRetriesPerRequest: null });
    const queue = new Queue(LIFECYCLE_QUEUE, { connection, prefix });
    let runs = 0;
    const consumer = startLifecycleConsumer({
      connection,
      prefix,
      concurrency: 1,
      logger: createLogger("test", "silent"),
      holdBlocks: () => Promise.resolve(holdBlocks),
      reconciler: {
        reconcile: () => Promise.resolve(++runs === 1 ? HELD : { status: "delivered" }),
        jobFailed: () => Promise.resolve(),
      },
    });
    try {
      await queue.add("ended", { callId: "1743000009.9" }, { jobId: "c1" });
      await waitFor("the first run", async () => runs >= 1, 10_000);
      // Long enough for a promoted job to run again; far shorter than its one-minute delay.
      await new Promise((r) => setTimeout(r, 1_500));
      return { runs, delayed: await queue.getDelayedCount() };
    } finally {
      await consumer.close();
      await queue.close();
      await connection.quit();
    }
  }

  it("given the hold lifted (cleared, or new credentials), then the job comes back at once and is delivered", async () => {
    assert.deepEqual(await run(false), { runs: 2, delayed: 0 });
  });

  it("given the hold still on, then the job waits for the probe", async () => {
    assert.deepEqual(await run(true), { runs: 1, delayed: 1 });
  });
});
