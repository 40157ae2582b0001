import type { AddressInfo } from "node:net";
import { Queue } from "bullmq";
import { LIFECYCLE_QUEUE } from "../../core/jobs/lifecycle.ts";
import { createHttpApp } from "./httpApp.ts";
import type { HttpDeps } from "./types.ts";

export type { HttpDeps, BitrixEvent, BitrixEventHandler } from "./types.ts";

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the HTTP API on `config.http.host:config.http.port` (port 0 picks a free one). Resolves once
 * listening; rejects if the address is taken.
 */
export async function startHttpServer(deps: HttpDeps): Promise<HttpServer> {
  const ownQueue = deps.lifecycleQueue ? undefined : openLifecycleQueue(deps);
  const { app, close: closeApp } = createHttpApp(deps, deps.lifecycleQueue ?? ownQueue);
  const { host, port } = deps.config.http;
  const server = await new Promise<import("node:http").Server>((resolve, reject) => {
    const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.once("error", reject);
  }).catch(async (err: unknown) => {
    await closeApp().catch(() => undefined);
    await ownQueue?.close().catch(() => undefined);
    throw err;
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const bound = (server.address() as AddressInfo).port;
  deps.logger.info({ host, port: bound }, "HTTP API listening");
  return {
    port: bound,
    async close() {
      server.closeIdleConnections();
      // A monitoring client holding a connection open must not keep shutdown waiting.
      const force = setTimeout(() => server.closeAllConnections(), 2000);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      clearTimeout(force);
      await closeApp().catch(() => undefined);
      await ownQueue?.close().catch(() => undefined);
    },
  };
}

/**
 * A queue handle for counting jobs only, on the shared connection. BullMQ re-emits connection errors
 * on the queue; without a listener they would crash the process while Redis is down.
 */
function openLifecycleQueue(deps: HttpDeps): Queue {
  const queue = new Queue(LIFECYCLE_QUEUE, { connection: deps.redis, prefix: deps.config.redis.prefix });
  let lastLogged = 0;
  queue.on("error", (err) => {
    if (Date.now() - lastLogged < 60_000) return;
    lastLogged = Date.now();
    deps.logger.debug({ err: err.message }, "lifecycle queue connection error (reported in /status)");
  });
  return queue;
}
