import express, { Router } from "express";
import type { Queue } from "bullmq";
import { CallStore } from "../../core/calls/callStore.ts";
import { callIdOfLinkedId, linkedIdsOfCallId } from "../../core/calls/serverScope.ts";
import { rebuildOptionsFor } from "../../core/records/rebuildOptions.ts";
import { openRecordsPool, type RecordsPool } from "../../core/records/recordsDb.ts";
import { RecordsReader } from "../../core/records/recordsReader.ts";
import type { HttpDeps } from "../http/types.ts";
import { parseReadCallRequest } from "./readCallRequest.ts";
import { executeRun, type RunnerDeps } from "./runner.ts";
import { RUN_ID_PATTERN, RunStore } from "./runStore.ts";

/**
 * `/pbx/read_call`: re-processing of past calls from Asterisk's records (MISSION §12), mounted at
 * `/pbx` behind the admin authentication. A request starts a run and answers 202 with its id; the run
 * works in the background of this app process; `GET /pbx/read_call/<run>` shows its progress and the
 * result per call.
 */

export interface Reprocessing {
  router: Router;
  /** Waits for runs in flight and closes the database connections. */
  close(): Promise<void>;
}

const BODY_LIMIT = "1mb";
const RESULTS_PAGE = 1000;
/** Calls of one run re-processed at once (one database connection each). */
const CONCURRENCY = 4;

/** Call ids of this app's Asterisk server (HttpDeps.serverId); without one, call id = linkedid. */
function serverScopeOf(deps: HttpDeps): Pick<RunnerDeps, "callIdOf" | "linkedIdsOf"> {
  const serverId = deps.serverId;
  if (!serverId) return {};
  return {
    callIdOf: (linkedId) => callIdOfLinkedId(serverId(), linkedId),
    linkedIdsOf: (callId) => linkedIdsOfCallId(serverId(), callId),
  };
}

export function reprocessingRoutes(deps: HttpDeps, queue: Queue | undefined): Reprocessing {
  const router = Router();
  const { config } = deps;
  const url = config.cdr.url;
  if (!url || !queue) {
    const why = !url
      ? { error: "re-processing needs Asterisk's records: set cdr.url", key: "cdr.url" }
      : { error: "re-processing needs the lifecycle queue" };
    router.all(/^\/read_call(\/.*)?$/, (_req, res) => void res.status(503).json(why));
    return { router, close: async () => {} };
  }
  const pool: RecordsPool = openRecordsPool({
    url,
    connectTimeoutMs: config.cdr.connectTimeoutMs,
    queryTimeoutMs: config.cdr.queryTimeoutMs,
    max: CONCURRENCY,
  });
  const reader = new RecordsReader(pool, config.cdr);
  const runs = new RunStore(deps.redis, deps.keys, config.cdr.runTtlSec);
  const runner: RunnerDeps = {
    records: reader,
    store: new CallStore(deps.redis, deps.keys),
    queue,
    redis: deps.redis,
    keys: deps.keys,
    rebuildOptions: rebuildOptionsFor(config),
    runs,
    listCalls: (from, to, limit) => reader.linkedIdsStartedBetween(from, to, limit),
    maxCalls: config.cdr.maxCallsPerRun,
    concurrency: CONCURRENCY,
    logger: deps.logger,
    ...serverScopeOf(deps),
  };
  const inFlight = new Set<Promise<void>>();

  const start: express.RequestHandler = async (req, res) => {
    const parsed = parseReadCallRequest(
      req.query as Record<string, unknown>,
      req.body,
      config.cdr.maxCallsPerRun,
    );
    if (!parsed.ok) {
      res.status(400).json({ error: parsed.error, parameter: parsed.parameter });
      return;
    }
    const run = await runs.create(parsed.request);
    const work = executeRun(runner, run).finally(() => inFlight.delete(work));
    inFlight.add(work);
    deps.logger.info({ run: run.run, request: run.request.kind }, "re-processing run started");
    res
      .status(202)
      .location(`/pbx/read_call/${run.run}`)
      .json({
        run: run.run,
        state: run.state,
        ...(run.total !== undefined ? { total: run.total } : {}),
        progress: `/pbx/read_call/${run.run}`,
      });
  };
  router.get("/read_call", start);
  router.post("/read_call", express.json({ limit: BODY_LIMIT, strict: false }), start);

  router.get("/read_call/:run", async (req, res) => {
    const runId = req.params.run;
    if (!RUN_ID_PATTERN.test(runId)) {
      res.status(400).json({ error: "run: not a run id", parameter: "run" });
      return;
    }
    const run = await runs.get(runId);
    if (!run) {
      res.status(404).json({ error: "no such run (runs are kept cdr.runTtlSec)", run: runId });
      return;
    }
    const offset = Math.max(0, Number(req.query.offset) || 0);
    const calls = await runs.results(runId, offset, RESULTS_PAGE);
    res.json({ ...run, offset, calls });
  });

  return {
    router,
    async close() {
      await Promise.allSettled([...inFlight]);
      await pool.end().catch(() => undefined);
    },
  };
}
