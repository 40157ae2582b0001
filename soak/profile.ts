import type { Redis } from "ioredis";
import type { CallState } from "../core/calls/types.ts";
import { LIFECYCLE_QUEUE, lifecycleJobId } from "../core/jobs/lifecycle.ts";
import { redisKeys } from "../core/redis/keys.ts";
import { percentile, phoneKey } from "../demo/crmCheck.ts";
import type { CrmCall, ObservedCall } from "./check.ts";

/**
 * Where the time of a call's way to the CRM goes, stage by stage: the phones' and the observer's
 * clocks, the app's call state in Redis (the app stamps each fact when it handles it), the BullMQ
 * jobs (when added) and the emulator's finish/show times. Loading is I/O; the stage
 * arithmetic (`stages`) is pure.
 */

export interface JobTimes {
  name: string;
  version: number;
  addedAt: number;
}

export interface CallRecord {
  state: CallState;
  jobs: JobTimes[];
}

export interface StageFigure {
  stage: string;
  p50: number | null;
  p95: number | null;
  max: number | null;
  samples: number;
}

/** The app's call state and every lifecycle job still kept (BullMQ keeps completed ones an hour). */
export async function loadCallRecords(
  redis: Redis,
  prefix: string,
  callIds: string[],
): Promise<Map<string, CallRecord>> {
  const keys = redisKeys(prefix);
  const out = new Map<string, CallRecord>();
  const states = await redis.mget(...(callIds.length ? callIds.map((id) => keys.call(id)) : ["-"]));
  const pipeline = redis.pipeline();
  const wanted: { callId: string; version: number }[] = [];
  callIds.forEach((callId, i) => {
    const text = states[i];
    if (!text) return;
    const state = JSON.parse(text) as CallState;
    out.set(callId, { state, jobs: [] });
    for (let v = 1; v <= state.version; v++) {
      wanted.push({ callId, version: v });
      pipeline.hmget(
        `${prefix}:${LIFECYCLE_QUEUE}:${lifecycleJobId(callId, v)}`,
        "name",
        "timestamp",
        "processedOn",
      );
    }
  });
  const replies = (await pipeline.exec()) ?? [];
  replies.forEach(([, fields], i) => {
    const [name, timestamp] = (fields ?? []) as (string | null)[];
    if (!name || !timestamp) return;
    const { callId, version } = wanted[i]!;
    out.get(callId)!.jobs.push({ name, version, addedAt: Number(timestamp) });
  });
  return out;
}

const ms = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));

function figure(stage: string, values: number[]): StageFigure {
  return {
    stage,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    max: values.length ? Math.max(...values) : null,
    samples: values.length,
  };
}

/** The stages of hang-up → CRM finish and first ring → card, and the app's reaction times. */
export function stages(
  observed: readonly ObservedCall[],
  crm: readonly CrmCall[],
  records: Map<string, CallRecord>,
  userIdOf: (ext: string) => number | undefined,
): StageFigure[] {
  const byPhone = new Map(crm.filter((c) => c.finish).map((c) => [phoneKey(c.PHONE_NUMBER), c]));
  const v: Record<string, number[]> = {};
  const add = (stage: string, value: number | undefined) => {
    if (value !== undefined && Number.isFinite(value)) (v[stage] ??= []).push(value);
  };
  for (const o of observed) {
    const c = byPhone.get(phoneKey(o.clientNumber));
    const rec = c?.EXTERNAL_CALL_ID ? records.get(c.EXTERNAL_CALL_ID) : undefined;
    if (!c || !rec) continue;
    hangupStages(o, c, rec, add);
    cardStages(o, c, rec, userIdOf, add);
    reactionStages(o, add);
  }
  return STAGES.filter((s) => v[s]).map((s) => figure(s, v[s]!));
}

const STAGES = [
  "operator answered → client bridged (app)",
  "client hung up → operator hung up (app)",
  "phone rang → app recorded the ring (app)",
  "client hung up → app recorded the end (app)",
  "app recorded the end → end job added (Redis)",
  "end job added → finish at the portal (workers, limiter, portal)",
  "app recorded the ring → card at the portal (workers, limiter, portal)",
];

type Add = (stage: string, value: number | undefined) => void;

/**
 * BullMQ's processedOn is the last time a job was taken (a job that met a held call lock is taken
 * again later), so the way from the job to the portal is measured as one stage.
 */
function hangupStages(o: ObservedCall, c: CrmCall, rec: CallRecord, add: Add): void {
  const appEnd = ms(rec.state.endedAt);
  const end = rec.jobs.find((j) => j.name === "ended");
  if (o.caller.endedAt !== undefined) add(STAGES[3]!, (appEnd ?? NaN) - o.caller.endedAt);
  if (!end || appEnd === undefined) return;
  add(STAGES[4]!, end.addedAt - appEnd);
  if (typeof c.finish?.finishedAt === "number") add(STAGES[5]!, c.finish.finishedAt - end.addedAt);
}

function cardStages(
  o: ObservedCall,
  c: CrmCall,
  rec: CallRecord,
  userIdOf: (ext: string) => number | undefined,
  add: Add,
): void {
  for (const leg of o.legs) {
    const userId = userIdOf(leg.extension);
    if (leg.joinedWithoutRing || userId === undefined) continue;
    const appLeg = rec.state.legs.find(
      (l) => l.extension === leg.extension && l.ringingAt && Math.abs(ms(l.ringingAt)! - leg.rangAt) < 30_000,
    );
    const appRing = ms(appLeg?.ringingAt);
    if (appRing === undefined) continue;
    add(STAGES[2]!, appRing - leg.rangAt);
    const show = (c.cardLog ?? []).find((e) => e.action === "show" && e.userId === userId);
    if (show) add(STAGES[6]!, show.at - appRing);
  }
}

function reactionStages(o: ObservedCall, add: Add): void {
  const winner = o.legs
    .filter((l) => l.answeredAt !== undefined && o.window && l.answeredAt <= o.window.from)
    .sort((a, b) => a.answeredAt! - b.answeredAt!)[0];
  if (winner && o.window && o.scenario !== "attendedTransfer")
    add(STAGES[0]!, o.window.from - winner.answeredAt!);
  const talking = o.legs.find(
    (l) =>
      o.caller.end === "callerBye" &&
      l.answeredAt !== undefined &&
      l.answeredAt < o.caller.endedAt! &&
      l.transferredAt === undefined &&
      l.endedAt !== undefined &&
      l.endedAt >= o.caller.endedAt!,
  );
  if (talking && o.caller.endedAt !== undefined) add(STAGES[1]!, talking.endedAt! - o.caller.endedAt);
}
