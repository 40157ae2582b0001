/**
 * `npm run hooks -- replay <callId | state.json>`: runs one stored call through the configured
 * customizations and prints the CRM commands it would send. The call state comes from the
 * configuration's Redis (by call id) or from a CallState JSON file. The real reconciler (planner,
 * decisions, hooks, event points, journaled hook commands) runs under a private Redis key prefix
 * against an in-process Bitrix24 emulator seeded with the call-centre directory, so the portal's
 * answers (CALL_ID, activity ids) are real ones; nothing reaches the configured portal. Every group
 * is printed as it is sent, hook commands with their journal keys.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import { CallStore } from "../core/calls/callStore.ts";
import type { CallState } from "../core/calls/types.ts";
import type { Config } from "../core/config/schema.ts";
import { HookSystem } from "../core/hooks/hookSystem.ts";
import { openRecordsPool } from "../core/records/recordsDb.ts";
import type { Logger } from "../core/logging/logger.ts";
import { Metrics } from "../core/metrics/metrics.ts";
import { redisKeys } from "../core/redis/keys.ts";
import { startEmulator } from "../emulator/server.ts";
import { createDelivery } from "../workers/delivery/index.ts";
import type { CommandGroup, CommandResult, CrmFileDelivery } from "../workers/delivery/types.ts";
import { UserDirectoryCache } from "../workers/directory/userDirectory.ts";
import { CallLocks } from "../workers/calls/callLock.ts";
import { JournalStore, type StepJournal } from "../workers/calls/journal.ts";
import { CallReconciler, type ReconcileOutcome } from "../workers/calls/reconcileCall.ts";

/** The seeded call-centre portal's inbound webhook (emulator/seeds/callcentre.json). */
const WEBHOOK_PATH = "/rest/1/demo-webhook-secret/";

export interface ReplayResult {
  callId: string;
  customizations: string[];
  sent: { group: CommandGroup; results: CommandResult[] | string }[];
  outcome: ReconcileOutcome;
  journal: StepJournal | undefined;
}

export async function loadCallState(config: Config, target: string): Promise<CallState> {
  if (target.endsWith(".json")) return JSON.parse(readFileSync(target, "utf8")) as CallState;
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    const state = await new CallStore(redis, redisKeys(config.redis.prefix)).get(target);
    if (!state) throw new Error(`no call ${target} in Redis (prefix ${config.redis.prefix})`);
    return state;
  } finally {
    redis.disconnect();
  }
}

export async function replayCall(config: Config, state: CallState, logger: Logger): Promise<ReplayResult> {
  const emulator = await startEmulator({ port: 0, plan: config.bitrix.plan });
  const prefix = `itgrix-replay-${randomBytes(4).toString("hex")}`;
  const replayConfig: Config = {
    ...config,
    redis: { ...config.redis, prefix },
    bitrix: { ...config.bitrix, auth: { type: "webhook", webhookUrl: `${emulator.url}${WEBHOOK_PATH}` } },
    hooks: { ...config.hooks, watch: false },
  };
  const keys = redisKeys(prefix);
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: null });
  const metrics = new Metrics(redis, keys);
  const pool = config.cdr.url
    ? openRecordsPool({ url: config.cdr.url, connectTimeoutMs: 5000, queryTimeoutMs: 10_000, max: 1 })
    : undefined;
  const hooks = await new HookSystem({ config: replayConfig, logger, ...(pool ? { db: pool } : {}) }).start();
  const real = createDelivery({ config: replayConfig, redis, keys, logger, metrics });
  const sent: ReplayResult["sent"] = [];
  const delivery: CrmFileDelivery = {
    async send(group) {
      try {
        const results = await real.send(group);
        sent.push({ group, results });
        return results;
      } catch (err) {
        sent.push({ group, results: `delivery failed: ${(err as Error).message}` });
        throw err;
      }
    },
    upload: (file) => real.upload(file),
    close: () => real.close(),
  };
  const directory = new UserDirectoryCache({
    config: replayConfig,
    delivery: real,
    redis,
    redisKey: keys.userDirectory(real.client.auth.portal),
    logger,
  });
  try {
    await directory.start();
    await directory.refresh(0);
    const calls = new CallStore(redis, keys);
    await calls.put(state, null);
    const journals = new JournalStore(redis, keys);
    const reconciler = new CallReconciler({
      config: replayConfig,
      redis,
      keys,
      calls,
      journals,
      locks: new CallLocks(redis, keys, replayConfig.workers.jobLockMs),
      delivery,
      directory,
      metrics,
      logger,
      hooks: hooks.runner,
    });
    let outcome = await reconciler.reconcile(state.callId);
    for (let i = 0; i < 5 && outcome.status === "retry"; i++)
      outcome = await reconciler.reconcile(state.callId);
    return {
      callId: state.callId,
      customizations: hooks.runner.customizations.map((c) => c.name),
      sent,
      outcome,
      journal: await journals.get(state.callId),
    };
  } finally {
    directory.stop();
    hooks.stop();
    await real.close().catch(() => undefined);
    const left = await redis.keys(`${prefix}*`).catch(() => []);
    if (left.length > 0) await redis.del(...left).catch(() => undefined);
    redis.disconnect();
    await pool?.end().catch(() => undefined);
    await emulator.close();
  }
}

/** The replay as an integrator reads it: each group as sent, then the hook commands by journal key. */
export function formatReplay(result: ReplayResult): string {
  const lines = [
    `call ${result.callId}; customizations: ${result.customizations.join(", ") || "(none)"}`,
    "",
  ];
  result.sent.forEach(({ group, results }, i) => {
    lines.push(`#${i + 1} ${group.lane}`);
    group.commands.forEach((c, j) => {
      const answer = typeof results === "string" ? results : describe(results[j]);
      lines.push(`  ${c.method} ${JSON.stringify(c.params)}`, `    → ${answer}`);
    });
  });
  const hookMarks = Object.entries(result.journal?.extra ?? {}).filter(([, m]) => m.digest !== undefined);
  if (hookMarks.length > 0) {
    lines.push("", "customizations' commands (journal key → method, answer):");
    for (const [key, m] of hookMarks)
      lines.push(`  ${key} → ${m.method}: ${m.error ?? (m.doneAt ? JSON.stringify(m.result) : "no answer")}`);
  }
  const events = Object.keys(result.journal?.hookEvents ?? {});
  if (events.length > 0) lines.push("", `event points run: ${events.join(", ")}`);
  lines.push("", `outcome: ${JSON.stringify(result.outcome)}`);
  return `${lines.join("\n")}\n`;
}

function describe(result: CommandResult | undefined): string {
  if (!result) return "no answer";
  if (!result.ok) return `error ${result.error.code}: ${result.error.description}`;
  const text = JSON.stringify(result.result);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
