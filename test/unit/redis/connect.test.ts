/**
 * One factory opens every Redis connection: `redis.url` or `redis.sentinel` from the configuration,
 * with options by what the connection is for; the Sentinel section is validated and overridable from
 * the environment like every other key.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyEnvOverrides, ConfigError, parseConfig } from "../../../core/config/loadConfig.ts";
import {
  describeRedisTarget,
  parseHostPort,
  redisOptions,
  replicasToConfirm,
} from "../../../core/redis/connect.ts";

const sentinel = {
  sentinels: ["10.0.0.1:26379", "10.0.0.2:26379", "[fd00::3]:26379"],
  masterName: "itgrix",
  password: "server-secret",
  sentinelPassword: "sentinel-secret",
};

describe("redis connection factory", () => {
  it("a URL connection waits across outages (no per-command retry limit) and names no sentinel", () => {
    const options = redisOptions({ url: "redis://127.0.0.1:6379" }, "commands");
    assert.equal(options.maxRetriesPerRequest, null);
    assert.equal(options.sentinels, undefined);
  });

  it("BullMQ's blocking connection has maxRetriesPerRequest null in both modes", () => {
    assert.equal(redisOptions({ url: "redis://x" }, "blocking").maxRetriesPerRequest, null);
    const config = parseConfig({ redis: { sentinel } });
    assert.equal(redisOptions(config.redis, "blocking").maxRetriesPerRequest, null);
  });

  it("with Sentinel: the sentinels, master name, both passwords, the primary's role", () => {
    const config = parseConfig({ redis: { sentinel } });
    const options = redisOptions(config.redis, "commands");
    assert.deepEqual(options.sentinels, [
      { host: "10.0.0.1", port: 26379 },
      { host: "10.0.0.2", port: 26379 },
      { host: "fd00::3", port: 26379 },
    ]);
    assert.equal(options.name, "itgrix");
    assert.equal(options.role, "master");
    assert.equal(options.password, "server-secret");
    assert.equal(options.sentinelPassword, "sentinel-secret");
    assert.notEqual(options.failoverDetector, true, "its disconnect can end a reconnecting client");
    assert.equal(options.tls, undefined);
    assert.equal(
      options.reconnectOnError?.(new Error("READONLY You can't write against a read only replica.")),
      2,
    );
    assert.equal(options.reconnectOnError?.(new Error("ERR wrong number of arguments")), false);
  });

  it("TLS covers the sentinels and the servers", () => {
    const config = parseConfig({ redis: { sentinel: { ...sentinel, tls: true } } });
    const options = redisOptions(config.redis, "commands");
    assert.deepEqual([options.tls, options.sentinelTLS, options.enableTLSForSentinelMode], [{}, {}, true]);
  });

  it("a probe fails fast and never reconnects, to the server or the sentinels", () => {
    const config = parseConfig({ redis: { sentinel } });
    const options = redisOptions(config.redis, "probe");
    assert.equal(options.maxRetriesPerRequest, 0);
    assert.equal(options.retryStrategy?.(1), null);
    assert.equal(options.sentinelRetryStrategy?.(1), null);
    assert.equal(options.lazyConnect, true);
  });

  it("replicas confirm call writes by default with Sentinel only; the key overrides it", () => {
    assert.equal(replicasToConfirm(parseConfig({}).redis), 0);
    assert.equal(replicasToConfirm(parseConfig({ redis: { sentinel } }).redis), 1);
    assert.equal(replicasToConfirm(parseConfig({ redis: { sentinel, confirmReplicas: 0 } }).redis), 0);
  });

  it("describes the target without a password", () => {
    assert.equal(describeRedisTarget({ url: "redis://:pw@10.0.0.9:6380/2" }), "redis://10.0.0.9:6380/2");
    const text = describeRedisTarget(parseConfig({ redis: { sentinel } }).redis);
    assert.equal(text, "sentinel itgrix via 10.0.0.1:26379, 10.0.0.2:26379, [fd00::3]:26379");
    assert.ok(!text.includes("secret"));
  });

  it("parses host:port and [v6]:port", () => {
    assert.deepEqual(parseHostPort("redis-a.lan:26379"), { host: "redis-a.lan", port: 26379 });
    assert.deepEqual(parseHostPort("[::1]:26380"), { host: "::1", port: 26380 });
  });
});

describe("redis.sentinel in the configuration", () => {
  it("refuses a sentinel without a port, naming the key", () => {
    assert.throws(
      () => parseConfig({ redis: { sentinel: { ...sentinel, sentinels: ["10.0.0.1"] } } }),
      (err: ConfigError) => err.key === "redis.sentinel.sentinels.0" && /host:port/.test(err.message),
    );
  });

  it("refuses an empty sentinel list and a missing master name", () => {
    assert.throws(() => parseConfig({ redis: { sentinel: { ...sentinel, sentinels: [] } } }), ConfigError);
    assert.throws(
      () => parseConfig({ redis: { sentinel: { sentinels: sentinel.sentinels } } }),
      /masterName/,
    );
  });

  it("is set from the environment: the list as JSON, the passwords as strings", () => {
    const config = parseConfig(
      applyEnvOverrides(
        {},
        {
          ITGRIX__REDIS__SENTINEL__SENTINELS: '["10.0.0.1:26379","10.0.0.2:26379"]',
          ITGRIX__REDIS__SENTINEL__MASTERNAME: "itgrix",
          ITGRIX__REDIS__SENTINEL__SENTINELPASSWORD: "12345",
        },
      ),
    );
    assert.deepEqual(config.redis.sentinel?.sentinels, ["10.0.0.1:26379", "10.0.0.2:26379"]);
    assert.equal(config.redis.sentinel?.sentinelPassword, "12345");
  });
});
