/** Shared pieces of the hook tests: a real pino logger that keeps its lines, runners, recorded calls. */
import { pino } from "pino";
import type { HookMap } from "../../../core/hooks/api.ts";
import { shippedCustomizations } from "../../../core/hooks/assemble.ts";
import type { HookCrmRequest, LoadedCustomization } from "../../../core/hooks/ports.ts";
import { HookRunner, type HookRunnerOptions } from "../../../core/hooks/runner.ts";
import { foldCallEvents } from "../../../core/calls/reducer.ts";
import type { CallEvent, CallState } from "../../../core/calls/types.ts";
import { parseConfig } from "../../../core/config/loadConfig.ts";
import type { Config } from "../../../core/config/schema.ts";

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export function capturingLogger(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: "debug" }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

export function countingSink(): { count(name: string): void; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return { counts, count: (name) => counts.set(name, (counts.get(name) ?? 0) + 1) };
}

export function testConfig(overrides: Record<string, unknown> = {}): Config {
  return parseConfig(overrides);
}

export function customization(
  name: string,
  hooks: HookMap<never>,
  options: unknown = {},
): LoadedCustomization {
  return { name, origin: "folder", options, hooks: hooks as HookMap<unknown> };
}

export function runnerWith(
  customizations: LoadedCustomization[],
  extra: Partial<HookRunnerOptions> = {},
): { runner: HookRunner; lines: LogLine[]; counts: Map<string, number> } {
  const { logger, lines } = capturingLogger();
  const sink = countingSink();
  const runner = new HookRunner({ logger, config: testConfig(), counters: sink, ...extra });
  runner.use(customizations);
  return { runner, lines, counts: sink.counts };
}

export function callOf(events: CallEvent[]): CallState {
  return foldCallEvents(events);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A runner with the shipped customizations of `hooks.shipped` (validated like the configuration). */
export async function shippedRunner(
  shipped: Record<string, unknown>,
  configOverrides: Record<string, unknown> = {},
  extra: Partial<HookRunnerOptions> = {},
): Promise<{ runner: HookRunner; lines: LogLine[]; counts: Map<string, number>; config: Config }> {
  const config = testConfig({ ...configOverrides, hooks: { shipped } });
  const { logger, lines } = capturingLogger();
  const sink = countingSink();
  const loaded = await shippedCustomizations(config.hooks, config, logger);
  const runner = new HookRunner({ logger, config, counters: sink, ...extra });
  runner.use(loaded);
  return { runner, lines, counts: sink.counts, config };
}

/** Records every customization command and answers from a table (method → result). */
export function recordingGateway(answers: Record<string, unknown> = {}): {
  crm: { call(r: HookCrmRequest): Promise<unknown> };
  sent: HookCrmRequest[];
} {
  const sent: HookCrmRequest[] = [];
  return {
    sent,
    crm: {
      call: async (request) => {
        sent.push(request);
        return answers[request.method] ?? true;
      },
    },
  };
}
