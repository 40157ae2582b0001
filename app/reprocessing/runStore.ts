import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { ReadCallRequest } from "./readCallRequest.ts";

/**
 * Re-processing runs in Redis: the run's request and progress (one JSON value) and its per-call
 * results (a list), both kept `cdr.runTtlSec`, so `GET /pbx/read_call/<run>` answers from any app
 * instance and after the run is over.
 */

export type { CallOutcome, CallResult, CallSummary } from "../../core/records/reprocessCall.ts";
import type { CallOutcome, CallResult } from "../../core/records/reprocessCall.ts";

export type RunState = "queued" | "running" | "done" | "failed" | "interrupted";

export interface RunRecord {
  run: string;
  state: RunState;
  request: ReadCallRequest;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Refreshed while the run works; a running run whose heartbeat is old was cut off (app restart). */
  heartbeatAt?: string;
  /** Calls in the run (known once a date range is resolved). */
  total?: number;
  processed: number;
  counts: Partial<Record<CallOutcome, number>>;
  /** A date range held more calls than `cdr.maxCallsPerRun`: the run took the first ones. */
  truncated?: boolean;
  error?: string;
}

export const RUN_ID_PATTERN = /^r-[0-9]{14}-[0-9a-f]{8}$/;

/** A running run without a heartbeat for this long is reported interrupted. */
const STALE_MS = 60_000;

export class RunStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ttlSec: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(request: ReadCallRequest): Promise<RunRecord> {
    const at = this.now();
    const stamp = at.toISOString().replace(/\D/g, "").slice(0, 14);
    const run: RunRecord = {
      run: `r-${stamp}-${randomBytes(4).toString("hex")}`,
      state: "queued",
      request,
      createdAt: at.toISOString(),
      processed: 0,
      counts: {},
      ...(request.kind === "ids" ? { total: request.ids.length } : {}),
    };
    await this.save(run);
    return run;
  }

  async save(run: RunRecord): Promise<void> {
    const stored = { ...run, heartbeatAt: this.now().toISOString() };
    await this.redis.set(this.keys.reprocessRun(run.run), JSON.stringify(stored), "EX", this.ttlSec);
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const json = await this.redis.get(this.keys.reprocessRun(runId));
    if (!json) return undefined;
    const run = JSON.parse(json) as RunRecord;
    const beat = Date.parse(run.heartbeatAt ?? run.createdAt);
    if ((run.state === "running" || run.state === "queued") && this.now().getTime() - beat > STALE_MS) {
      return { ...run, state: "interrupted" };
    }
    return run;
  }

  /** Appends one call's result and counts it in the run. */
  async addResult(run: RunRecord, result: CallResult): Promise<void> {
    run.processed += 1;
    run.counts[result.outcome] = (run.counts[result.outcome] ?? 0) + 1;
    const calls = this.keys.reprocessRunCalls(run.run);
    await this.redis.multi().rpush(calls, JSON.stringify(result)).expire(calls, this.ttlSec).exec();
    await this.save(run);
  }

  async results(runId: string, offset: number, limit: number): Promise<CallResult[]> {
    const list = await this.redis.lrange(this.keys.reprocessRunCalls(runId), offset, offset + limit - 1);
    return list.map((json) => JSON.parse(json) as CallResult);
  }
}
