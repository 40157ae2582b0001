import { mkdirSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
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
  /**
   * Starts a killed server again on its port and folder (its AOF) as a replica of the current
   * primary. Resolves once it is in sync.
   */
  restart(server: RedisServer): Promise<RedisServer>;
  /**
   * From now on the replica replicates through a TCP relay; `cut()` makes the relay discard what the
   * primary sends, so writes the primary acknowledges never reach the replica (asynchronous
   * replication's window, held open). SIGSTOP cannot do this: the kernel buffers the stream.
   */
  relayReplication(): Promise<{ cut(): void }>;
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
          // Long: a sentinel "fixes" a replica pointing elsewhere (the relay) only after twice this.
          `sentinel failover-timeout ${masterName} 30000`,
          `sentinel parallel-syncs ${masterName} 1`,
          "",
        ].join("\n"),
      );
      const sentinel = await startRedisServer({ dir, configFile, extraArgs: ["--sentinel"] });
      started.push(sentinel);
      sentinels.push(sentinel);
    }
    const servers = [primary, replica];
    const relays: Server[] = [];
    const dirs = new Map([
      [primary.port, join(options.dir, "primary")],
      [replica.port, join(options.dir, "replica")],
    ]);
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
    /** Why a failover did not happen: each replica's flags and link-down time as the first sentinel sees them. */
    const replicasSeen = async (): Promise<string> => {
      const client = new Redis(sentinels[0]!.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        const replicas = (await client.call("SENTINEL", "replicas", masterName)) as string[][];
        return replicas
          .map((fields) => {
            const f = new Map(fields.flatMap((v, i) => (i % 2 === 0 ? [[v, fields[i + 1]] as const] : [])));
            return `${f.get("name")} flags=${f.get("flags")} link-down-ms=${f.get("master-link-down-time")} offset=${f.get("slave-repl-offset")}`;
          })
          .join("; ");
      } catch (err) {
        return `(sentinel not asked: ${(err as Error).message})`;
      } finally {
        client.disconnect();
      }
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
          if (Date.now() > deadline)
            throw new Error(`no failover within ${timeoutMs} ms; the sentinels see: ${await replicasSeen()}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      async restart(server) {
        // Started as a replica of the current primary at once, as an admin would (the sentinels would
        // convert a stale primary too, but only after a while).
        const current = await ask();
        const again = await startRedisServer({
          appendonly: true,
          dir: dirs.get(server.port),
          port: server.port,
          extraArgs: ["--replicaof", "127.0.0.1", String(current)],
        });
        servers[servers.indexOf(server)] = again;
        started.push(again);
        await waitForLink(again.url, 20_000);
        return again;
      },
      async relayReplication() {
        const primaryPort = (await ask())!;
        const replica = servers.find((s) => s.port !== primaryPort)!;
        const relay = await startRelay(primaryPort);
        relays.push(relay.server);
        const client = new Redis(replica.url, { maxRetriesPerRequest: 1 });
        try {
          await client.replicaof("127.0.0.1", relay.port);
        } finally {
          client.disconnect();
        }
        await waitForLink(replica.url, 10_000, relay.port);
        return { cut: relay.cut };
      },
      stop: async () => {
        for (const relay of relays) relay.close();
        await stopAll(started);
      },
    };
  } catch (err) {
    await stopAll(started);
    throw err;
  }
}

async function stopAll(servers: RedisServer[]): Promise<void> {
  await Promise.all([...servers].reverse().map((s) => s.stop()));
}

/** The replica has its link to the primary (through `viaPort`, if given) up and the first sync done. */
async function waitForLink(url: string, timeoutMs = 10_000, viaPort?: number): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  const linked = (info: string) =>
    /master_link_status:up/.test(info) && (viaPort === undefined || info.includes(`master_port:${viaPort}`));
  try {
    const deadline = Date.now() + timeoutMs;
    while (!linked(await client.info("replication"))) {
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

/** A TCP relay to the primary for the replica's link; `cut` discards the primary's side from then on. */
function startRelay(primaryPort: number): Promise<{ server: Server; port: number; cut(): void }> {
  let cut = false;
  const sockets = new Set<Socket>();
  const server = createServer((replicaSide) => {
    const primarySide = createConnection(primaryPort, "127.0.0.1");
    for (const s of [replicaSide, primarySide]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => {
        replicaSide.destroy();
        primarySide.destroy();
      });
    }
    replicaSide.on("data", (chunk) => primarySide.write(chunk));
    primarySide.on("data", (chunk) => {
      if (!cut) replicaSide.write(chunk);
    });
  });
  server.on("close", () => sockets.forEach((s) => s.destroy()));
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({ server, port, cut: () => void (cut = true) });
    }),
  );
}
