import { readFileSync } from "node:fs";
import type { RequestHandler } from "express";
import type { Queue } from "bullmq";
import { collectStatusInputs } from "../../core/status/statusProbes.ts";
import { buildStatusReport, type StatusReport } from "../../core/status/statusReport.ts";
import type { HttpDeps } from "./types.ts";

export const DEFAULT_PROBE_TIMEOUT_MS = 1000;

/** `GET /status`: always 200 with the JSON document (monitoring reads `.status` and `.problems`). */
export function statusHandler(deps: HttpDeps, lifecycleQueue: Queue | undefined): RequestHandler {
  const report = statusReporter(deps, lifecycleQueue);
  return async (_req, res) => {
    const body = await report();
    res.setHeader("Cache-Control", "no-store");
    res.json(body);
  };
}

/** The `/status` document as of now (also read by `/metrics` and the dashboard). */
export function statusReporter(
  deps: HttpDeps,
  lifecycleQueue: Queue | undefined,
): () => Promise<StatusReport> {
  const version = packageVersion();
  return async () => {
    const inputs = await collectStatusInputs(
      {
        redis: deps.redis,
        keys: deps.keys,
        metrics: deps.metrics,
        lifecycleQueue,
        timeoutMs: deps.statusProbeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
      },
      { ...deps.appStatus },
      { pid: process.pid, uptimeSec: Math.round(process.uptime()), version },
    );
    return buildStatusReport(inputs);
  };
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}
