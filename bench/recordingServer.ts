import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { recordingsRouter } from "../app/http/recordingsRoute.ts";
import { createLogger } from "../core/logging/logger.ts";

/**
 * What the app's HTTP API does for `crm.recordDelivery: "url"`, and nothing else: the same signed-link
 * route (app/http/recordingsRoute.ts) over one run's spool, on a free port of 127.0.0.1. The emulator
 * fetches RECORD_URL from it.
 */
export interface RecordingServer {
  url: string;
  close(): Promise<void>;
}

export async function startRecordingServer(spoolDir: string, signingKey: string): Promise<RecordingServer> {
  const app = express();
  app.disable("x-powered-by");
  app.use(
    recordingsRouter({
      config: { http: { signingKey }, recording: { spoolDir } },
      logger: createLogger("bench-recordings", "warn"),
    }),
  );
  app.use((_req, res) => {
    res.status(404).json({ error: "not found" });
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, "127.0.0.1", (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
