import type { AuthContext } from "../auth/authenticate.ts";
import { parseBracketQuery, type ParamObject } from "../http/brackets.ts";
import { phpSection } from "../http/reply.ts";
import type { OperatingFigures } from "../limits/operatingTime.ts";
import { normaliseMethodName } from "../methods/registry.ts";
import { flag, param } from "../methods/params.ts";
import type { Runtime } from "../runtime.ts";
import { resolveReferences, type BatchSections } from "./batchRefs.ts";
import { executeCommand, type CommandOutcome } from "./execute.ts";
import { timeBlock } from "./timeBlock.ts";

export const BATCH_MAX_LENGTH = 50;

export interface BatchRun {
  result: Record<string, unknown>;
  commands: string[];
  /** The highest operating figures among the methods the batch ran (the outer call itself costs none). */
  figures: OperatingFigures | null;
}

const lengthExceeded = {
  error: "ERROR_BATCH_LENGTH_EXCEEDED",
  error_description: "Max batch length exceeded",
};
const notAllowed = {
  error: "ERROR_BATCH_METHOD_NOT_ALLOWED",
  error_description: "Method is not allowed for batch usage",
};

export function batchCommands(params: ParamObject): [string, string][] {
  const cmd = param(params, "cmd");
  if (cmd === null || typeof cmd !== "object") return [];
  return Object.entries(cmd).map(([key, value]) => [key, typeof value === "string" ? value : String(value)]);
}

function splitCommand(raw: string): { method: string; query: string } {
  const q = raw.indexOf("?");
  return q < 0
    ? { method: raw.trim(), query: "" }
    : { method: raw.slice(0, q).trim(), query: raw.slice(q + 1) };
}

function record(sections: BatchSections, key: string, outcome: CommandOutcome): void {
  sections.time[key] = timeBlock(
    outcome.startMs,
    outcome.finishMs,
    outcome.finishMs - outcome.startMs,
    outcome.figures,
  );
  if (!outcome.ok) {
    sections.error[key] = { error: outcome.error.code, error_description: outcome.error.description };
    return;
  }
  sections.result[key] = outcome.output.result;
  if (outcome.output.total !== undefined) sections.total[key] = outcome.output.total;
  if (outcome.output.next !== undefined) sections.next[key] = outcome.output.next;
}

function higher(a: OperatingFigures | null, b: OperatingFigures): OperatingFigures {
  return a === null || b.operating > a.operating ? b : a;
}

/** Runs the commands in order; each counts toward its own method's operating time. */
export async function runBatch(runtime: Runtime, params: ParamObject, auth: AuthContext): Promise<BatchRun> {
  const halt = flag(param(params, "halt"), 0) === 1;
  const sections: BatchSections = { result: {}, next: {}, total: {}, time: {}, error: {} };
  const entries = batchCommands(params);
  const commands: string[] = [];
  let figures: OperatingFigures | null = null;
  for (const [index, [key, raw]] of entries.entries()) {
    const { method, query } = splitCommand(raw);
    commands.push(normaliseMethodName(method));
    if (index >= BATCH_MAX_LENGTH) {
      sections.error[key] = lengthExceeded;
      continue;
    }
    if (normaliseMethodName(method) === "batch") {
      sections.error[key] = notAllowed;
      if (halt) break;
      continue;
    }
    const commandParams = resolveReferences(parseBracketQuery(query), sections);
    const outcome = await executeCommand(runtime, method, commandParams, auth);
    record(sections, key, outcome);
    figures = higher(figures, outcome.figures);
    if (halt && !outcome.ok) break;
  }
  return {
    result: {
      result: phpSection(sections.result),
      result_error: phpSection(sections.error),
      result_total: phpSection(sections.total),
      result_next: phpSection(sections.next),
      result_time: phpSection(sections.time),
    },
    commands,
    figures,
  };
}
