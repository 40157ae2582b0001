import { createReadStream, type ReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, extname, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { Router, type Request, type Response } from "express";
import type { Config } from "../../core/config/schema.ts";
import type { Logger } from "../../core/logging/logger.ts";
import { verifyRecordingLink } from "../../core/recordings/signedLink.ts";
import { spoolFileFromUrlPath } from "../../core/recordings/spoolPath.ts";

export interface RecordingsRouteDeps {
  config: { http: Pick<Config["http"], "signingKey">; recording: Pick<Config["recording"], "spoolDir"> };
  logger: Logger;
  /** Unix ms; the clock the link expiry is checked against. */
  now?: () => number;
}

const PREFIX = "/recordings/";
const CONTENT_TYPES: Record<string, string> = { ".wav": "audio/wav", ".mp3": "audio/mpeg" };

/**
 * `GET /recordings/<file>?exp=…&sig=…` (`crm.recordDelivery: "url"`): the portal downloads a recording
 * from the spool by the signed link the workers handed it. No admin auth: the signature is the auth.
 * 400 path leaving the spool, 403 bad or expired signature, 404 no such file, 503 no signing key.
 * The query (the signature) is never logged.
 */
export function recordingsRouter(deps: RecordingsRouteDeps): Router {
  const router = Router();
  const now = deps.now ?? Date.now;
  router.get(/^\/recordings\/.+/, async (req, res) => {
    const key = deps.config.http.signingKey;
    if (!key) {
      res.status(503).json({ error: "recording links not configured", key: "http.signingKey" });
      return;
    }
    const path = spoolFileFromUrlPath(req.path.slice(PREFIX.length));
    const root = resolve(deps.config.recording.spoolDir);
    const full = path.ok ? resolve(root, path.file) : "";
    if (!path.ok || !full.startsWith(root + sep)) {
      deps.logger.warn({ remote: req.ip, path: req.path }, "recording request outside the spool refused");
      res.status(400).json({ error: "bad recording path" });
      return;
    }
    const verdict = verifyRecordingLink({
      key,
      file: path.file,
      exp: req.query.exp,
      sig: req.query.sig,
      nowMs: now(),
    });
    if (!verdict.ok) {
      deps.logger.warn({ remote: req.ip, file: path.file, reason: verdict.reason }, "recording link refused");
      res.status(403).json({ error: verdict.reason === "expired" ? "link expired" : "bad signature" });
      return;
    }
    await sendRecording(req, res, full, path.file, deps.logger);
  });
  return router;
}

async function sendRecording(
  req: Request,
  res: Response,
  full: string,
  file: string,
  logger: Logger,
): Promise<void> {
  const info = await stat(full).catch(() => undefined);
  const stream = info?.isFile() ? await openFile(full) : undefined;
  if (!info || !stream) {
    logger.warn({ file }, "recording requested by a valid link is missing");
    res.status(404).json({ error: "recording not found" });
    return;
  }
  const name = basename(file).replace(/[^\w.-]/g, "_");
  res.status(200);
  res.setHeader("Content-Type", CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream");
  res.setHeader("Content-Length", String(info.size));
  res.setHeader("Content-Disposition", `attachment; filename="${name}"`);
  res.setHeader("Cache-Control", "private, no-store");
  if (req.method === "HEAD") {
    stream.destroy();
    res.end();
    return;
  }
  try {
    await pipeline(stream, res);
    logger.debug({ file, bytes: info.size }, "recording served");
  } catch (err) {
    // pipeline has destroyed the response: the client sees a broken download, not a short file.
    logger.warn({ file, err: (err as Error).message }, "recording download broken off");
  }
}

/** The opened file, or undefined when it cannot be opened (gone since stat, no permission). */
function openFile(path: string): Promise<ReadStream | undefined> {
  return new Promise((resolveOpen) => {
    const stream = createReadStream(path);
    stream.once("open", () => resolveOpen(stream));
    stream.once("error", () => resolveOpen(undefined));
  });
}
