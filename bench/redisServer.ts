import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/**
 * A private, throw-away redis-server on a free port, in its own process group: a Ctrl-C in the terminal
 * reaches the benchmark, which stops the workers first and Redis last (the workers need Redis to shut
 * down cleanly). `REDIS_SERVER_BIN` may name the binary.
 */
export interface BenchRedis {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (/ready to accept connections/i.test(output)) {
        clearTimeout(timer);
        child.stdout?.resume();
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${output}`));
    });
  });
}

export async function startBenchRedis(): Promise<BenchRedis> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
    const child = spawn(process.env.REDIS_SERVER_BIN ?? "redis-server", args, {
      detached: true,
      stdio: ["ignore", "pipe", "ignore"],
    });
    try {
      await ready(child);
    } catch (err) {
      child.kill("SIGKILL");
      if (attempt < 2) continue; // the port was taken between probing and binding
      throw err;
    }
    const stop = (): Promise<void> =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
    return { url: `redis://127.0.0.1:${port}`, child, stop };
  }
}
