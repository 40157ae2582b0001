import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { isRunning, signalChild } from "./processGroup.ts";

/**
 * A private, throw-away redis-server on a free port of 127.0.0.1, without persistence unless asked
 * (`appendonly` + `dir`): for the integration tests and the benchmark (the testbed's long-lived Redis
 * is `redisProcess.ts`). A server with AOF can be stopped and started again on the same `port` and
 * `dir` with its data (the Redis outage tests).
 * `REDIS_SERVER_BIN` may name the binary.
 *
 * `ownProcessGroup`: the server runs in its own process group, so a Ctrl-C in the terminal reaches only
 * the caller, which can stop its other children first and Redis last (the benchmark's workers need
 * Redis to shut down cleanly). The caller must then stop it itself (`stop`, or `killNow` from an
 * `exit` handler).
 */
export interface RedisServer {
  url: string;
  port: number;
  child: ChildProcess;
  /** SIGTERM; resolves once the server has exited. */
  stop(): Promise<void>;
  /** Synchronous SIGKILL, for `process.on("exit")` handlers. */
  killNow(): void;
}

export interface RedisServerOptions {
  ownProcessGroup?: boolean;
  /** AOF on (`appendonly yes`, fsync every second); needs `dir`. */
  appendonly?: boolean;
  /** Working directory of the server (where the AOF lives). */
  dir?: string;
  /** A fixed port (to start a stopped server again); a free one by default. */
  port?: number;
  /** Further `--name value` arguments (a replica's `--replicaof`, the Sentinel fixture). */
  extraArgs?: string[];
  /** A config file given first (`redis-server <file> --sentinel` needs one it can rewrite). */
  configFile?: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (/ready to accept connections|\+monitor master/i.test(output)) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.resume(); // keep draining, or the server blocks on a full pipe
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${output}`));
    });
  });
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const bin = process.env.REDIS_SERVER_BIN ?? "redis-server";
  const group = options.ownProcessGroup ?? false;
  for (let attempt = 0; ; attempt++) {
    const port = options.port ?? (await freePort());
    const args = options.configFile ? [options.configFile] : [];
    args.push("--port", String(port), "--bind", "127.0.0.1", "--save", "");
    args.push("--appendonly", options.appendonly ? "yes" : "no");
    if (options.dir) args.push("--dir", options.dir);
    args.push(...(options.extraArgs ?? []));
    const child = spawn(bin, [...args, "--loglevel", "notice"], {
      detached: group,
      stdio: ["ignore", "pipe", "ignore"],
    });
    try {
      await waitForReady(child, 10_000);
    } catch (err) {
      signalChild(child, "SIGKILL", group);
      if (attempt < 2 && options.port === undefined) continue; // the port was taken between probing and binding
      throw err;
    }
    const stop = (): Promise<void> =>
      new Promise((resolve) => {
        if (!isRunning(child)) return resolve();
        child.once("exit", () => resolve());
        signalChild(child, "SIGTERM", group);
      });
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      child,
      stop,
      killNow: () => signalChild(child, "SIGKILL", group),
    };
  }
}
