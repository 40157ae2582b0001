import { Router } from "express";
import { CallStore } from "../../core/calls/callStore.ts";
import type { HttpDeps } from "./types.ts";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/**
 * Admin views of calls: the failed ones with their reasons (what re-processing will pick up) and one
 * call's state and CRM journal. Mounted at `/calls` behind requireAdmin.
 */
export function callsRouter(deps: HttpDeps): Router {
  const router = Router();
  const store = new CallStore(deps.redis, deps.keys);

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
