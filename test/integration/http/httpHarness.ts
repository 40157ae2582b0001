import { Writable } from "node:stream";
import { Redis } from "ioredis";
import { pino } from "pino";
import { parseConfig } from "../../../core/config/loadConfig.ts";
import type { Config } from "../../../core/config/schema.ts";
import { Metrics } from "../../../core/metrics/metrics.ts";
import { redisKeys, type RedisKeys } from "../../../core/redis/keys.ts";
import { createAppStatus, type AppStatus } from "../../../app/status/appStatus.ts";
import { startHttpServer, type HttpServer } from "../../../app/http/server.ts";
import type { BitrixEvent } from "../../../app/http/types.ts";

/** One HTTP API on a random port with a captured debug log, for the integration tests. */
export interface Harness {
  base: string;
  config: Config;
  redis: Redis;
  keys: RedisKeys;
  metrics: Metrics;
  appStatus: AppStatus;
  events: BitrixEvent[];
  /** Everything the server logged, as raw JSON lines. */
  logText(): string;
  close(): Promise<void>;
}

export async function startHarness(redisUrl: string, raw: Record<string, unknown> = {}): Promise<Harness> {
  const prefix = `t${process.pid}x${Math.random().toString(36).slice(2, 8)}`;
  const config = parseConfig({
    ...raw,
    redis: { url: redisUrl, prefix },
    http: { port: 0, ...(raw.http ?? {}) },
  });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  redis.on("error", () => undefined);
  const keys = redisKeys(prefix);
  const metrics = new Metrics(redis, keys);
  const appStatus = createAppStatus();
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: "debug" }, sink);
  const events: BitrixEvent[] = [];
  const server: HttpServer = await startHttpServer({
    config,
    redis,
    keys,
    metrics,
    appStatus,
    logger,
    onEvent: (e) => {
      events.push(e);
    },
    statusProbeTimeoutMs: 300,
  });
  return {
    base: `http://127.0.0.1:${server.port}`,
    config,
    redis,
    keys,
    metrics,
    appStatus,
    events,
    logText: () => lines.join(""),
    async close() {
      await server.close();
      redis.disconnect();
    },
  };
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}
