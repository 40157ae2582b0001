/**
 * `npm run bench:rebuild -- [--calls 1000] [--db <postgres superuser URL>] [--json]`: how long the
 * rebuild of a past call from Asterisk's CEL takes.
 *
 * 1. Pure: each captured call of test/fixtures/cel/ rebuilt (rows → CallEvents → CallState) many
 *    times in memory: µs per call, per kind.
 * 2. With `--db` (the testbed's PostgreSQL: `postgres://itgrix:itgrix@127.0.0.1:15432/asterisk`):
 *    `--calls` captured calls are written into a scratch database under fresh linkedids, then one
 *    `/pbx/read_call` run re-processes them all by date range through the app's real HTTP API (a private
 *    Redis; no workers), and the run's own per-call timings are summarised: the whole path per call
 *    (read CEL + CDR, rebuild, journal, CallStore.put, lifecycle job) and calls per second.
 */
import { parseArgs } from "node:util";
import pino from "pino";
import { Redis } from "ioredis";
import { startHttpServer } from "../app/http/server.ts";
import type { CallResult, RunRecord } from "../app/reprocessing/runStore.ts";
import { createAppStatus } from "../app/status/appStatus.ts";
import { parseConfig } from "../core/config/loadConfig.ts";
import { Metrics } from "../core/metrics/metrics.ts";
import { rebuildCall, type RebuildOptions } from "../core/records/buildCall.ts";
import { redisKeys } from "../core/redis/keys.ts";
import { startRedisServer } from "../testbed/redisServer.ts";
import {
  createScratchDatabase,
  fixtureNames,
  freshLinkedId,
  insertCall,
  loadFixture,
} from "../test/support/celFixtures.ts";

const OPTIONS: RebuildOptions = {
  app: "itgrix",
  operators: new Set([...Array.from({ length: 20 }, (_, i) => String(101 + i)), "301", "302", "303"]),
  internalPattern: /^\d{2,5}$/,
  outboundLine: "trunk",
  recordingFormat: "wav",
};

function pureRebuild(rounds: number): { perCallUs: number; byKind: Record<string, number> } {
  const fixtures = fixtureNames().map((name) => ({ name, records: loadFixture(name).records }));
  for (const f of fixtures) rebuildCall(f.records, OPTIONS); // warm up
  const byKind: Record<string, number> = {};
  let total = 0;
  for (const f of fixtures) {
    const started = performance.now();
    for (let i = 0; i < rounds; i++) rebuildCall(f.records, OPTIONS);
    const us = ((performance.now() - started) * 1000) / rounds;
    byKind[f.name] = Math.round(us);
    total += us;
  }
  return { perCallUs: Math.round(total / fixtures.length), byKind };
}

async function apiRun(dbUrl: string, calls: number) {
  const db = await createScratchDatabase(dbUrl);
  const redisServer = await startRedisServer();
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  try {
    const fixtures = fixtureNames().map((name) => loadFixture(name).records);
    const start = Date.parse("2031-01-01T00:00:00Z");
    for (let i = 0; i < calls; i++) {
      const records = fixtures[i % fixtures.length]!;
      const shiftMs = start + i * 1000 - Date.parse(records.cel[0]!.eventTime);
      await insertCall(db.pool, records, { linkedId: freshLinkedId(), shiftMs });
    }
    const config = parseConfig({
      redis: { url: redisServer.url, prefix: "bench-rebuild" },
      http: { port: 0, adminPassword: "bench" },
      cdr: { url: db.url, maxCallsPerRun: calls },
      routing: { operators: [...OPTIONS.operators] },
    });
    const keys = redisKeys(config.redis.prefix);
    const logger = pino({ level: "warn" });
    const server = await startHttpServer({
      config, redis, keys, logger, metrics: new Metrics(redis, keys), appStatus: createAppStatus(),
    }); // prettier-ignore
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const headers = { authorization: "Basic " + Buffer.from("admin:bench").toString("base64") };
      const began = performance.now();
      const res = await fetch(`${base}/pbx/read_call?start_date=2031-01-01&end_date=2031-01-02`, { headers });
      const { run } = (await res.json()) as { run: string };
      let record: RunRecord & { calls: CallResult[] };
      for (;;) {
        record = (await (await fetch(`${base}/pbx/read_call/${run}`, { headers })).json()) as typeof record;
        if (record.state !== "queued" && record.state !== "running") break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const wallMs = performance.now() - began;
      const read = record.calls.map((c) => c.readMs ?? 0).sort((a, b) => a - b);
      const build = record.calls.map((c) => c.buildMs ?? 0).sort((a, b) => a - b);
      return {
        calls: record.processed,
        counts: record.counts,
        wallSec: Math.round(wallMs) / 1000,
        callsPerSec: Math.round((record.processed / wallMs) * 1000),
        readMs: { median: pick(read, 0.5), p95: pick(read, 0.95) },
        buildMs: { median: pick(build, 0.5), p95: pick(build, 0.95) },
      };
    } finally {
      await server.close();
    }
  } finally {
    redis.disconnect();
    await redisServer.stop();
    await db.drop();
  }
}

function pick(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      calls: { type: "string", default: "1000" },
      rounds: { type: "string", default: "2000" },
      db: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const pure = pureRebuild(Number(values.rounds));
  console.log(`rebuild in memory (CEL rows → CallState), per captured call: ${pure.perCallUs} µs on average`);
  for (const [name, us] of Object.entries(pure.byKind)) console.log(`  ${name.padEnd(40)} ${us} µs`);
  let api: Awaited<ReturnType<typeof apiRun>> | undefined;
  if (values.db) {
    api = await apiRun(values.db, Number(values.calls));
    console.log(
      `/pbx/read_call run of ${api.calls} calls by date range: ${api.wallSec} s, ${api.callsPerSec} calls/s ` +
        `(read CEL+CDR median ${api.readMs.median} ms, p95 ${api.readMs.p95} ms; rebuild median ` +
        `${api.buildMs.median} ms, p95 ${api.buildMs.p95} ms) ${JSON.stringify(api.counts)}`,
    );
  }
  if (values.json) console.log(JSON.stringify({ pure, api }));
}

void main();
