import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { startRedisServer, type RedisServer } from "./redisServer.ts";

/**
 * A replicated Redis for the failover tests (not part of the default testbed): one primary and one
 * replica with AOF, and three sentinels (`redis-server <conf> --sentinel`, the Debian redis-server
 * binary) watching them with quorum 2, all on free ports of 127.0.0.1 inside the caller's network
 * namespace. Sentinels notice a dead primary after `downAfterMs` and promote the replica.
 */
export interface SentinelSetup {
  readonly masterName: string;
  /** `host:port` of each sentinel, as `redis.sentinel.sentinels` wants them. */
  readonly sentinels: string[];
  /** The two data servers; which one is primary changes with a failover. */
  readonly servers: RedisServer[];
  /** The server the sentinels name as primary now. */
  primary(): Promise<RedisServer>;
  /** Resolves once the sentinels name another primary than `previous` and it takes writes. */
  waitForFailover(previousPort: number, timeoutMs?: number): Promise<RedisServer>;
  stop(): Promise<void>;
}

export interface SentinelOptions {
  /** A folder of the caller's; each server and sentinel gets a sub-folder. */
  dir: string;
  masterName?: string;
  downAfterMs?: number;
}

export async function startSentinelSetup(options: SentinelOptions): Promise<SentinelSetup> {
  const masterName = options.masterName ?? "itgrix";
  const downAfterMs = options.downAfterMs ?? 1000;
  const dirOf = (name: string): string => {
    const dir = join(options.dir, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const started: RedisServer[] = [];
  try {
    const primary = await startRedisServer({ appendonly: true, dir: dirOf("primary") });
    started.push(primary);
    const replica = await startRedisServer({
      appendonly: true,
      dir: dirOf("replica"),
      extraArgs: ["--replicaof", "127.0.0.1", String(primary.port)],
    });
    started.push(replica);
    await waitForLink(replica.url);
    const sentinels: RedisServer[] = [];
    for (const name of ["sentinel-1", "sentinel-2", "sentinel-3"]) {
      const dir = dirOf(name);
      const configFile = join(dir, "sentinel.conf");
      writeFileSync(
        configFile,
        [
          `sentinel monitor ${masterName} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
          `sentinel failover-timeout ${masterName} 10000`,
          `sentinel parallel-syncs ${masterName} 1`,
          "",
        ].join("\n"),
      );
      const sentinel = await startRedisServer({ dir, configFile, extraArgs: ["--sentinel"] });
      started.push(sentinel);
      sentinels.push(sentinel);
    }
    const servers = [primary, replica];
    const ask = async (): Promise<number | undefined> => {
      for (const s of sentinels) {
        const client = new Redis(s.url, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        try {
          await client.connect();
          const addr = (await client.call("SENTINEL", "get-master-addr-by-name", masterName)) as
            string[] | null;
          if (addr) return Number(addr[1]);
        } catch {
          /* that sentinel is away: ask the next */
        } finally {
          client.disconnect();
        }
      }
      return undefined;
    };
    const serverAt = (port: number | undefined): RedisServer => {
      const server = servers.find((s) => s.port === port);
      if (!server) throw new Error(`the sentinels name an unknown primary (port ${port})`);
      return server;
    };
    return {
      masterName,
      sentinels: sentinels.map((s) => `127.0.0.1:${s.port}`),
      servers,
      primary: async () => serverAt(await ask()),
      async waitForFailover(previousPort, timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const port = await ask();
          if (port !== undefined && port !== previousPort && (await isWritablePrimary(port)))
            return serverAt(port);
          if (Date.now() > deadline) throw new Error(`no failover within ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      stop: () => stopAll(started),
    };
  } catch (err) {
    await stopAll(started);
    throw err;
  }
}

async function stopAll(servers: RedisServer[]): Promise<void> {
  await Promise.all([...servers].reverse().map((s) => s.stop()));
}

/** The replica has its link to the primary up and the first sync done. */
async function waitForLink(url: string, timeoutMs = 10_000): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const deadline = Date.now() + timeoutMs;
    while (!/master_link_status:up/.test(await client.info("replication"))) {
      if (Date.now() > deadline) throw new Error("the replica did not sync with the primary");
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    client.disconnect();
  }
}

async function isWritablePrimary(port: number): Promise<boolean> {
  const client = new Redis(port, "127.0.0.1", {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    return /role:master/.test(await client.info("replication"));
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
