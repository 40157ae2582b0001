import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { handleOAuthToken } from "./auth/oauthEndpoint.ts";
import { handleControl } from "./control.ts";
import { pathOf, queryOf } from "./http/body.ts";
import { sendJson } from "./http/reply.ts";
import type { EmulatorOptions, RunningEmulator } from "./options.ts";
import { handleRest } from "./rest/handleRest.ts";
import { createRuntime, type Runtime } from "./runtime.ts";

export type { EmulatorOptions, RunningEmulator } from "./options.ts";

async function route(runtime: Runtime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? "/";
  const path = pathOf(url);
  const query = queryOf(url);
  if (path.startsWith("/_emulator/")) return handleControl(runtime, req, res, path, query);
  if (/^\/oauth\/token\/?$/.test(path)) return handleOAuthToken(runtime, req, res, query);
  if (path.startsWith("/rest/")) return handleRest(runtime, req, res, path, query);
  sendJson(res, 404, { error: "NOT_FOUND", error_description: "Not found" });
}

/** Starts a Bitrix24 portal emulator, on 127.0.0.1 unless `opts.host` says otherwise (see emulator/README.md). */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const runtime = createRuntime(opts);
  const host = opts.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    route(runtime, req, res).catch((error: unknown) => {
      sendJson(res, 500, { error: "INTERNAL_SERVER_ERROR", error_description: String(error) });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  // A wildcard address is not something to connect to: the local URL goes through the loopback.
  const url = `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${port}`;
  runtime.publicUrl = (opts.publicUrl ?? url).replace(/\/$/, "");
  let closed = false;
  let relisten: NodeJS.Timeout | undefined;
  runtime.refuseConnectionsFor = (ms) => {
    if (closed || !server.listening) return;
    server.close();
    server.closeAllConnections(); // the host is gone: open connections die with it
    relisten = setTimeout(() => {
      if (!closed) server.listen(port, "127.0.0.1");
    }, ms);
  };
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        clearTimeout(relisten);
        for (const res of runtime.hung) res.destroy();
        if (server.listening) server.close(() => resolve());
        else resolve();
        server.closeAllConnections();
      }),
  };
}
