import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { CallStore } from "../../../core/calls/callStore.ts";
import { parseConfig } from "../../../core/config/loadConfig.ts";
import { createLogger } from "../../../core/logging/logger.ts";
import { Metrics } from "../../../core/metrics/metrics.ts";
import { redisKeys, type RedisKeys } from "../../../core/redis/keys.ts";
import { CallLocks } from "../../../workers/calls/callLock.ts";
import { sameMethod } from "../../../workers/calls/commands.ts";
import { JournalStore, type StepJournal } from "../../../workers/calls/journal.ts";
import { CallReconciler, type ReconcilerDeps } from "../../../workers/calls/reconcileCall.ts";
import type {
  CommandGroup,
  CommandResult,
  CrmCommand,
  CrmFileDelivery,
} from "../../../workers/delivery/types.ts";
import { directory } from "../../unit/workers/callBuilder.ts";

/**
 * A portal scripted per command, for reconciler tests on a real Redis: `answer` decides each command's
 * result; `failGroup` may reject a whole group (a DeliveryError) after — or instead of — running it.
 */
export type Answer = (command: CrmCommand) => CommandResult;

export class ScriptedPortal implements CrmFileDelivery {
  /** Every command the reconciler sent, in order. */
  readonly sent: CrmCommand[] = [];
  /** Rejects a group (return an error to throw it), e.g. a DeliveryError("ambiguous"). */
  failGroup: (group: CommandGroup) => Error | undefined = () => undefined;

  constructor(public answer: Answer) {}

  send(group: CommandGroup): Promise<CommandResult[]> {
    this.sent.push(...group.commands);
    const results: CommandResult[] = [];
    for (const c of group.commands) results.push(this.answer(resolveRefs(c, results)));
    const failure = this.failGroup(group);
    return failure ? Promise.reject(failure) : Promise.resolve(results);
  }
  upload(): Promise<unknown> {
    return Promise.resolve({});
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  count(method: string): number {
    return this.sent.filter((c) => sameMethod(c.method, method)).length;
  }
  sentOf(method: string): CrmCommand[] {
    return this.sent.filter((c) => sameMethod(c.method, method));
  }
}

export const ok = (result: unknown): CommandResult => ({ ok: true, result });

/** `$ref` parameters replaced by the answer of the earlier command, as the portal's batch does. */
function resolveRefs(command: CrmCommand, results: CommandResult[]): CrmCommand {
  const params = Object.fromEntries(
    Object.entries(command.params).map(([k, v]) => {
      const ref = v as { $ref?: number; path?: string[] } | null;
      if (typeof ref !== "object" || ref === null || typeof ref.$ref !== "number") return [k, v];
      const earlier = results[ref.$ref];
      let value: unknown = earlier?.ok ? earlier.result : undefined;
      for (const key of ref.path ?? []) value = (value as Record<string, unknown> | undefined)?.[key];
      return [k, value === undefined ? `$result[${ref.$ref}]` : value];
    }),
  );
  return { method: command.method, params: params as CrmCommand["params"] };
}

export interface ReconcilerSetup {
  reconciler: CallReconciler;
  portal: ScriptedPortal;
  redis: Redis;
  keys: RedisKeys;
  calls: CallStore;
  metrics: Metrics;
  journal(callId: string): Promise<StepJournal>;
  storeJournal(journal: StepJournal): Promise<void>;
}

/** A reconciler on its own key prefix, over the scripted portal. */
export function reconcilerOn(
  redis: Redis,
  answer: Answer,
  options: {
    now?: () => Date;
    random?: () => number;
    config?: Record<string, unknown>;
    extraCommands?: ReconcilerDeps["extraCommands"];
    hooks?: ReconcilerDeps["hooks"];
  } = {},
): ReconcilerSetup {
  const keys = redisKeys(`rf${randomUUID().slice(0, 8)}`);
  const config = parseConfig({
    workers: { jobAttempts: 2, jobBackoffMs: 100, inFlightWindowMs: 1_000 },
    log: { level: "silent" },
    ...options.config,
  });
  const portal = new ScriptedPortal(answer);
  const metrics = new Metrics(redis, keys);
  const calls = new CallStore(redis, keys);
  const reconciler = new CallReconciler({
    config,
    redis,
    keys,
    calls,
    journals: new JournalStore(redis, keys),
    locks: new CallLocks(redis, keys, 5_000),
    delivery: portal,
    directory: { ...directory, refreshOnMiss: () => Promise.resolve() },
    metrics,
    logger: createLogger("test", "silent"),
    ...(options.now ? { now: options.now } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.extraCommands ? { extraCommands: options.extraCommands } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
  });
  return {
    reconciler,
    portal,
    redis,
    keys,
    calls,
    metrics,
    journal: async (callId) => JSON.parse((await redis.get(keys.journal(callId)))!) as StepJournal,
    storeJournal: async (journal) => {
      await redis.set(keys.journal(journal.callId), JSON.stringify(journal));
    },
  };
}
