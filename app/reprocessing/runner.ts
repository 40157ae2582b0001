import type { Logger } from "../../core/logging/logger.ts";
import { reprocessCall, type ReprocessDeps } from "../../core/records/reprocessCall.ts";
import type { CallResult, RunRecord, RunStore } from "./runStore.ts";

export interface RunnerDeps extends ReprocessDeps {
  runs: RunStore;
  /** Calls that started in [from, to) per Asterisk's CEL, at most `limit`. */
  listCalls(from: Date, to: Date, limit: number): Promise<string[]>;
  maxCalls: number;
  /** Calls worked on at once. */
  concurrency: number;
  logger: Logger;
  /** The call id of a linkedid (scoped by this Asterisk server); ids asked for may be either. */
  callIdOf?: (linkedId: string) => string;
}

/**
 * Works through one run in the background of the app: resolves a date range into calls, re-processes
 * each call and stores its result as it goes. A call that fails (database or Redis away) is recorded
 * as `error` and the run goes on; the run itself fails only when its list of calls cannot be read.
 */
export async function executeRun(deps: RunnerDeps, run: RunRecord): Promise<void> {
  const log = deps.logger.child({ run: run.run });
  run.state = "running";
  run.startedAt = new Date().toISOString();
  try {
    await deps.runs.save(run);
    const ids = await callsOf(deps, run);
    await deps.runs.save(run);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const callId = ids[next++]!;
        await deps.runs.addResult(run, await oneCall(deps, callId, log));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, deps.concurrency) }, worker));
    run.state = "done";
  } catch (err) {
    run.state = "failed";
    run.error = (err as Error).message;
    log.error({ err: run.error }, "re-processing run failed");
  }
  run.finishedAt = new Date().toISOString();
  await deps.runs.save(run).catch((err: Error) => log.error({ err: err.message }, "run result not stored"));
  log.info({ state: run.state, processed: run.processed, counts: run.counts }, "re-processing run finished");
}

async function callsOf(deps: RunnerDeps, run: RunRecord): Promise<string[]> {
  const { request } = run;
  const callIdOf = deps.callIdOf ?? ((id: string) => id);
  if (request.kind === "ids") return request.ids.map(callIdOf);
  const linkedIds = await deps.listCalls(new Date(request.from), new Date(request.to), deps.maxCalls + 1);
  const ids = linkedIds.map(callIdOf);
  run.truncated = ids.length > deps.maxCalls;
  const taken = ids.slice(0, deps.maxCalls);
  run.total = taken.length;
  return taken;
}

async function oneCall(deps: ReprocessDeps, callId: string, log: Logger): Promise<CallResult> {
  try {
    return await reprocessCall(deps, callId);
  } catch (err) {
    const reason = (err as Error).message;
    log.warn({ callId, err: reason }, "call not re-processed");
    return { callId, outcome: "error", reason };
  }
}
