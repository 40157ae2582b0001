import { after, before } from "node:test";
import { Redis } from "ioredis";
import { startRedisServer, type RedisServer } from "../../testbed/redisServer.ts";

/**
 * A private, throw-away `redis-server` for integration tests (random free port, no persistence). The
 * one implementation lives in testbed/redisServer.ts, shared with the benchmark; this keeps the tests'
 * import path. Tests keep the server in their own process group, so a Ctrl-C stops it too.
 */
export type TestRedis = RedisServer;

export function startRedis(): Promise<TestRedis> {
  return startRedisServer();
}

export interface RedisForTests {
  readonly url: string;
  /** One client connection, shared by the file's tests. */
  readonly redis: Redis;
}

/** Registers the test file's hooks: a private Redis and a client for the file. Read it inside tests. */
export function useRedis(): RedisForTests {
  let server: TestRedis | undefined;
  let redis: Redis | undefined;
  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  after(async () => {
    await redis?.quit();
    await server?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("useRedis: read it inside a test");
    return value;
  };
  return {
    get url() {
      return started(server).url;
    },
    get redis() {
      return started(redis);
    },
  };
}
