import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Router } from "express";
import type { StatusReport } from "../../core/status/statusReport.ts";
import type { HttpDeps } from "../http/types.ts";
import { LiveCallSeries } from "./liveCalls.ts";
import { maskedConfig } from "./maskedConfig.ts";
import { buildMinuteSeries, readMinutes } from "./minuteSeries.ts";

/** How far back the per-minute charts reach (the counters are kept two hours). */
const CHART_MINUTES = 60;
const DEFAULT_SAMPLE_MS = 5000;

export interface Dashboard {
  router: Router;
  close(): void;
}

/**
 * The support engineer's page, `/dashboard/` (mounted behind requireAdmin): status, charts over time,
 * failed calls with a re-process button, the last audit and the configuration with secrets masked.
 * Every asset comes from this package (the page folder and uPlot from node_modules): no CDN, so it
 * works in a closed network. The page reads `/dashboard/api/data`, `/calls/failed` and `/audit/latest`.
 */
export function dashboardRoutes(
  deps: HttpDeps,
  report: () => Promise<StatusReport>,
  sampleMs = DEFAULT_SAMPLE_MS,
): Dashboard {
  const router = Router();
  const live = new LiveCallSeries(2000); // a page open for hours: samples every few seconds
  const sample = () => live.add(Date.now(), deps.appStatus.activeCalls);
  sample();
  const sampler = setInterval(sample, sampleMs);
  sampler.unref();

  const files = assetFiles();
  router.get("/", (req, res) => {
    // The page's URLs are relative: it must be loaded as `/dashboard/` (relative, for a path prefix).
    if (!req.originalUrl.split("?")[0]!.endsWith("/")) return void res.redirect(301, "dashboard/");
    sendAsset(res, files["index.html"]!);
  });
  router.get("/assets/:file", (req, res) => {
    const asset = files[req.params.file];
    if (!asset) return void res.status(404).json({ error: "not found" });
    sendAsset(res, asset);
  });

  router.get("/api/data", async (_req, res) => {
    sample();
    const [status, minutes] = await Promise.all([
      report(),
      readMinutes(deps.redis, deps.keys, CHART_MINUTES).then(
        (m) => buildMinuteSeries(m),
        () => null, // Redis away: the page shows the status saying so, without charts
      ),
    ]);
    res.setHeader("Cache-Control", "no-store");
    res.json({
      generatedAt: new Date().toISOString(),
      status,
      minutes,
      live: live.points(),
      config: maskedConfig(deps.config),
    });
  });

  return { router, close: () => clearInterval(sampler) };
}

interface Asset {
  type: string;
  body: Buffer;
}

/** Read once at start: a missing file (a broken build) stops the app at once, not at first view. */
function assetFiles(): Record<string, Asset> {
  const page = join(dirname(fileURLToPath(import.meta.url)), "page");
  const uplot = dirname(createRequire(import.meta.url).resolve("uplot"));
  const read = (path: string, type: string): Asset => ({ type, body: readFileSync(path) });
  return {
    "index.html": read(join(page, "index.html"), "text/html; charset=utf-8"),
    "dashboard.js": read(join(page, "dashboard.js"), "text/javascript; charset=utf-8"),
    "dashboard.css": read(join(page, "dashboard.css"), "text/css; charset=utf-8"),
    "uplot.js": read(join(uplot, "uPlot.iife.min.js"), "text/javascript; charset=utf-8"),
    "uplot.css": read(join(uplot, "uPlot.min.css"), "text/css; charset=utf-8"),
  };
}

function sendAsset(res: import("express").Response, asset: Asset): void {
  res.setHeader("Content-Type", asset.type);
  res.setHeader("Cache-Control", "no-cache");
  res.setHeader("X-Content-Type-Options", "nosniff");
  // Only this origin's scripts and styles, and calls back to this origin: nothing from outside.
  res.setHeader(
    "Content-Security-Policy",
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  );
  res.send(asset.body);
}
