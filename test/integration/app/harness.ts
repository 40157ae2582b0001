import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { CallState } from "../../../core/calls/types.ts";
import { parseConfig } from "../../../core/config/loadConfig.ts";
import { LIFECYCLE_QUEUE, type LifecycleJob } from "../../../core/jobs/lifecycle.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import type { AriChannel } from "../../../app/ari/types.ts";
import { startCallControl, type CallControlHandle } from "../../../app/callControl.ts";
import { createAppStatus, type AppStatus } from "../../../app/status/appStatus.ts";
import { waitForExclusiveAri } from "../../support/e2eAriGuard.ts";
import { getTestbed, hangupAllChannels } from "../../support/testbed.ts";

/** The call app running in-process against the testbed, with a Redis prefix of its own. */
export interface AppUnderTest {
  prefix: string;
  redis: Redis;
  status: AppStatus;
  control: CallControlHandle;
  /** The last snapshot of every channel the app saw in an ARI event (caller id, linkedid). */
  channels: Map<string, AriChannel>;
  /** Stops the app (keeps Redis), as a crash/restart would. */
  stopApp(): Promise<void>;
  /** Starts the app again on the same prefix. */
  restartApp(): Promise<void>;
  calls(): Promise<CallState[]>;
  waitForCall(predicate: (c: CallState) => boolean, timeoutMs?: number): Promise<CallState>;
  jobs(): Promise<{ id: string; name: string; data: LifecycleJob }[]>;
  close(): Promise<void>;
}

export const BASE_ROUTING = {
  operators: Array.from({ length: 20 }, (_, i) => String(101 + i)),
  groups: {
    sales: { strategy: "ringall", members: ["101"], groupTimeoutSec: 15 },
    trio: { strategy: "ringall", members: ["102", "103", "104"], groupTimeoutSec: 15 },
    seq: { strategy: "sequential", members: ["105", "106", "107"], ringTimeoutSec: 3, groupTimeoutSec: 20 },
    rr: { strategy: "roundrobin", members: ["108", "109"], ringTimeoutSec: 3, groupTimeoutSec: 20 },
    short: { strategy: "ringall", members: ["110"], groupTimeoutSec: 4 },
    ringing: { strategy: "ringall", members: ["114"], groupTimeoutSec: 20 },
    talking: { strategy: "ringall", members: ["115"], groupTimeoutSec: 20 },
    transfer: { strategy: "ringall", members: ["116"], groupTimeoutSec: 20 },
    ivrgroup: { strategy: "ringall", members: ["113"], groupTimeoutSec: 10 },
    unreg: { strategy: "ringall", members: ["199", "117"], groupTimeoutSec: 10 },
  },
  dids: {
    "4950000001": { group: "sales" },
    "4950000002": { group: "trio" },
    "4950000003": { group: "seq" },
    "4950000004": { group: "rr" },
    "4950000005": { group: "short" },
    "4950000006": { group: "ringing" },
    "4950000007": { group: "talking" },
    "4950000008": { group: "transfer" },
    "4950000010": { group: "unreg" },
    "4950000009": {
      group: "ivrgroup",
      ivr: { prompt: "sound:beep", digitTimeoutSec: 2, maxDigits: 3, extensionRingTimeoutSec: 3 },
    },
  },
};

export async function startApp(overrides: Record<string, unknown> = {}): Promise<AppUnderTest> {
  const tb = await getTestbed();
  await waitForExclusiveAri(); // one Stasis app name on a shared testbed: never run two apps at once
  await hangupAllChannels(tb); // what a failed test left would wait in the app for this one
  const prefix = `t-app-${randomUUID().slice(0, 8)}`;
  const config = parseConfig({
    ari: {
      url: tb.ari.url,
      user: tb.ari.user,
      password: tb.ari.password,
      app: tb.ari.app,
      reconnectMaxDelayMs: 1000,
    },
    redis: { url: tb.redis.url, prefix, outboxFile: join(tmpdir(), `itgrix-outbox-${prefix}.jsonl`) },
    routing: BASE_ROUTING,
    ...overrides,
  });
  const redis = new Redis(tb.redis.url, { maxRetriesPerRequest: null });
  const logger = createLogger("app-test", process.env.LOG_LEVEL ?? "warn");
  const status = createAppStatus();
  const queueConnection = redis.duplicate();
  const queue = new Queue(LIFECYCLE_QUEUE, { connection: queueConnection, prefix });
  const channels = new Map<string, AriChannel>();
  const start = async () => {
    const control = startCallControl({ config, redis, logger, status });
    control.adapter.on("event", (e) => {
      if ("channel" in e && e.channel) channels.set(e.channel.id, e.channel);
      if (e.type === "Dial") channels.set(e.peer.id, e.peer);
    });
    await control.adapter.waitConnected(20_000);
    await control.ready;
    return control;
  };
  const app: AppUnderTest = {
    prefix,
    redis,
    status,
    channels,
    control: await start(),
    async stopApp() {
      await app.control.stop();
    },
    async restartApp() {
      app.control = await start();
    },
    async calls() {
      const keys = await redis.keys(`${prefix}:call:*`);
      const values = keys.length ? await redis.mget(...keys) : [];
      return values.filter((v): v is string => !!v).map((v) => JSON.parse(v) as CallState);
    },
    async waitForCall(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = (await app.calls()).find(predicate);
        if (found) return found;
        if (Date.now() > deadline) {
          throw new Error(
            `no call matched in ${timeoutMs} ms: ${JSON.stringify(await app.calls(), null, 1)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async jobs() {
      const jobs = await queue.getJobs([
        "waiting",
        "active",
        "completed",
        "failed",
        "delayed",
        "prioritized",
      ]);
      return jobs.map((j) => ({ id: j.id!, name: j.name, data: j.data as LifecycleJob }));
    },
    async close() {
      await app.control.stop().catch(() => undefined);
      await hangupAllChannels(tb).catch(() => 0);
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      queueConnection.disconnect();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
      rmSync(config.redis.outboxFile, { force: true });
    },
  };
  return app;
}

export const ended = (c: CallState): boolean => c.phase === "ended";
