import express, { Router } from "express";
import { Queue } from "bullmq";
import { AUDIT_ID_PATTERN, AUDIT_QUEUE, requestAudit, type AuditJob } from "../../core/audit/auditJob.ts";
import { AuditReports } from "../../core/audit/reportStore.ts";
import type { HttpDeps } from "../http/types.ts";
import { parseReadCallRequest } from "../reprocessing/readCallRequest.ts";

/**
 * The self-audit's HTTP API, mounted at `/audit` behind the admin authentication. The workers run the
 * audits (they read the portal's statistics); the app only asks for one and reads the reports.
 * - `POST /audit` (optionally `start_date`/`end_date`, ISO 8601, in the query or a JSON body): 202
 *   with the audit's id; without a period, the configured one (`audit.periodHours`).
 * - `GET /audit/latest`: the last report (404 before the first).
 * - `GET /audit/<id>`: one report (`state: "queued"` until a worker takes it).
 */

export interface AuditRoutes {
  router: Router;
  close(): Promise<void>;
}

export function auditRoutes(deps: HttpDeps): AuditRoutes {
  const router = Router();
  if (!deps.config.cdr.url) {
    const why = { error: "the audit needs Asterisk's records: set cdr.url", key: "cdr.url" };
    router.use((_req, res) => void res.status(503).json(why));
    return { router, close: async () => {} };
  }
  const reports = new AuditReports(deps.redis, deps.keys);
  const queue = new Queue<AuditJob>(AUDIT_QUEUE, {
    connection: deps.redis,
    prefix: deps.config.redis.prefix,
  });
  queue.on("error", () => undefined); // Redis away: the requests answer 500, /status says why

  router.post("/", express.json({ limit: "16kb", strict: false }), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const given = ["start_date", "end_date"].some((k) => query[k] !== undefined || body[k] !== undefined);
    let period: { from?: string; to?: string } = {};
    if (given) {
      const parsed = parseReadCallRequest(query, req.body, 1);
      if (!parsed.ok || parsed.request.kind !== "range") {
        const parameter = parsed.ok ? "start_date" : parsed.parameter;
        const error = parsed.ok ? "start_date: give start_date and end_date" : parsed.error;
        res.status(400).json({ error, parameter });
        return;
      }
      period = { from: parsed.request.from, to: parsed.request.to };
    }
    const job = await requestAudit(queue, period);
    deps.logger.info({ audit: job.id, ...period }, "audit requested");
    res
      .status(202)
      .location(`/audit/${job.id}`)
      .json({ id: job.id, state: "queued", report: `/audit/${job.id}` });
  });

  router.get("/latest", async (_req, res) => {
    const report = await reports.latest();
    if (!report) res.status(404).json({ error: "no audit has run yet" });
    else res.json(report);
  });

  router.get("/:id", async (req, res) => {
    const { id } = req.params;
    if (!AUDIT_ID_PATTERN.test(id)) {
      res.status(400).json({ error: "id: not an audit id", parameter: "id" });
      return;
    }
    const report = await reports.get(id);
    if (report) res.json(report);
    else if (await queue.getJob(id)) res.json({ id, state: "queued" });
    else res.status(404).json({ error: "no such audit (reports are kept 30 days)", id });
  });

  return { router, close: () => queue.close() };
}
