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
