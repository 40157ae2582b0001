import express, { Router, type RequestHandler, type Response } from "express";
import type { Queue } from "bullmq";
import { z } from "zod";
import { CallStore } from "../../core/calls/callStore.ts";
import {
  failedBetween,
  requestReprocess,
  type ReprocessResult,
  type ReprocessStatus,
} from "../../core/calls/reprocessRequest.ts";
import type { HttpDeps } from "./types.ts";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** Calls one bulk re-processing request may take (a larger period is taken in several requests). */
const MAX_BULK = 5000;

/**
 * Admin views of calls: the failed ones with their reasons (what re-processing will pick up) and one
 * call's state and CRM journal; re-processing of failed calls, one or in bulk. Mounted at `/calls`
 * behind requireAdmin.
 */
export function callsRouter(deps: HttpDeps, queue?: Queue): Router {
  const router = Router();
  const store = new CallStore(deps.redis, deps.keys);

  router.post("/reprocess", jsonBody, async (req, res) => {
    if (!queue) return void unavailable(res);
    const parsed = BULK_BODY.safeParse(req.body ?? {});
    if (!parsed.success) return void badRequest(res, parsed.error.issues[0]!);
    const body = parsed.data;
    const ids =
      body.callIds ??
      (await failedBetween(deps, Date.parse(body.failedFrom!), Date.parse(body.failedTo!), body.limit));
    const calls: ReprocessResult[] = [];
    for (const callId of ids) calls.push(await requestReprocess({ ...deps, queue }, callId));
    const counts = countByStatus(calls);
    deps.logger.info({ requested: ids.length, ...counts }, "re-processing requested (bulk)");
    res.status(202).json({ requested: ids.length, ...counts, calls });
  });

  router.post("/:id/reprocess", async (req, res) => {
    if (!queue) return void unavailable(res);
    const callId = req.params.id;
    if (!CALL_ID.safeParse(callId).success) {
      return void res.status(400).json({ error: "not a call id", param: "id" });
    }
    const result = await requestReprocess({ ...deps, queue }, callId);
    deps.logger.info({ callId, status: result.status }, "re-processing requested");
    res.status(STATUS_CODE[result.status]).json({ ...result, ...(MESSAGE[result.status] ?? {}) });
  });

  router.get("/failed", async (req, res) => {
    const limit = clampInt(req.query.limit, DEFAULT_LIMIT, 1, MAX_LIMIT);
    const offset = clampInt(req.query.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    const [total, page] = await Promise.all([
      deps.redis.zcard(deps.keys.failedCalls),
      deps.redis.zrevrange(deps.keys.failedCalls, offset, offset + limit - 1, "WITHSCORES"),
    ]);
    const ids: { callId: string; failedAt: string }[] = [];
    for (let i = 0; i + 1 < page.length; i += 2) {
      ids.push({ callId: page[i]!, failedAt: new Date(Number(page[i + 1])).toISOString() });
    }
    const journals = ids.length > 0 ? await deps.redis.mget(ids.map((c) => deps.keys.journal(c.callId))) : [];
    const calls = ids.map((c, i) => ({ ...c, ...failureOf(parseJson(journals[i] ?? null)) }));
    res.json({ total, offset, limit, calls });
  });

  router.get("/:id", async (req, res) => {
    const callId = req.params.id;
    const [state, journalJson, failedScore, deliveredScore] = await Promise.all([
      store.get(callId),
      deps.redis.get(deps.keys.journal(callId)),
      deps.redis.zscore(deps.keys.failedCalls, callId),
      deps.redis.zscore(deps.keys.deliveredCalls, callId),
    ]);
    if (!state && journalJson === null && failedScore === null && deliveredScore === null) {
      res.status(404).json({ error: "call not found", callId });
      return;
    }
    res.json({
      callId,
      failedAt: failedScore === null ? null : new Date(Number(failedScore)).toISOString(),
      deliveredAt: deliveredScore === null ? null : new Date(Number(deliveredScore)).toISOString(),
      state: state ?? null,
      journal: parseJson(journalJson),
    });
  });

  return router;
}

const CALL_ID = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\w.:@-]+$/, "letters, digits and . : @ - _ only");
const ISO_DATE = z.string().refine((v) => !Number.isNaN(Date.parse(v)), "an ISO-8601 date");

/** `{callIds: [...]}`, or `{failedFrom, failedTo[, limit]}`: the calls that failed in that period. */
const BULK_BODY = z
  .object({
    callIds: z.array(CALL_ID).min(1).max(MAX_BULK).optional(),
    failedFrom: ISO_DATE.optional(),
    failedTo: ISO_DATE.optional(),
    limit: z.number().int().min(1).max(MAX_BULK).default(1000),
  })
  .strict()
  .superRefine((b, ctx) => {
    const period = b.failedFrom !== undefined || b.failedTo !== undefined;
    if (b.callIds && period) {
      ctx.addIssue({ code: "custom", path: ["callIds"], message: "give callIds or a period, not both" });
    } else if (!b.callIds && !period) {
      ctx.addIssue({ code: "custom", path: ["callIds"], message: "required (or failedFrom and failedTo)" });
    } else if (period) {
      for (const key of ["failedFrom", "failedTo"] as const) {
        if (b[key] === undefined)
          ctx.addIssue({ code: "custom", path: [key], message: "required with a period" });
      }
      if (b.failedFrom && b.failedTo && Date.parse(b.failedFrom) > Date.parse(b.failedTo)) {
        ctx.addIssue({ code: "custom", path: ["failedTo"], message: "before failedFrom" });
      }
    }
  });

const STATUS_CODE: Record<ReprocessStatus, number> = {
  queued: 202,
  notFound: 404,
  notFailed: 409,
  noState: 409,
};
const MESSAGE: Partial<Record<ReprocessStatus, { error: string }>> = {
  notFound: { error: "call not found" },
  notFailed: { error: "the call is not failed (delivered, skipped or still in progress)" },
  noState: { error: "the call state has expired; re-process it from Asterisk's CDR/CEL" },
};

/** JSON bodies only; a body that is not JSON is a 400 naming `body`. */
const jsonBody: RequestHandler = (req, res, next) => {
  express.json({ limit: "1mb" })(req, res, (err?: unknown) => {
    if (err) return void res.status(400).json({ error: "the body is not valid JSON", param: "body" });
    next();
  });
};

function badRequest(res: Response, issue: z.core.$ZodIssue): void {
  const param = issue.path.length > 0 ? issue.path.join(".") : "body";
  const message = issue.code === "unrecognized_keys" ? `unknown key ${issue.keys.join(", ")}` : issue.message;
  res.status(400).json({ error: message, param: issue.code === "unrecognized_keys" ? issue.keys[0] : param });
}

function unavailable(res: Response): void {
  res.status(503).json({ error: "re-processing needs the lifecycle queue" });
}

function countByStatus(calls: ReprocessResult[]): Record<ReprocessStatus, number> {
  const counts: Record<ReprocessStatus, number> = { queued: 0, notFound: 0, notFailed: 0, noState: 0 };
  for (const c of calls) counts[c.status]++;
  return counts;
}

interface Failure {
  reason: string | null;
  code: string | null;
  step: string | null;
  at: string | null;
}

/** The `failed` block of a call's journal: `{reason, code, at, step}`. */
function failureOf(journal: unknown): Failure {
  const failed = (journal as { failed?: Record<string, unknown> } | null)?.failed;
  const text = (v: unknown) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : null);
  return {
    reason: text(failed?.reason),
    code: text(failed?.code),
    step: text(failed?.step),
    at: text(failed?.at),
  };
}

function parseJson(json: string | null): unknown {
  if (json === null) return null;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return { unparsable: json.slice(0, 200) };
  }
}

function clampInt(value: unknown, fallback: number, min: number, max: number): number {
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : fallback;
  return Math.min(max, Math.max(min, n));
}
