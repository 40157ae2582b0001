import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { fireEvent, fireSchema } from "./eventFire.ts";
import { credentialsSchema } from "./auth/credentialControl.ts";
import { RestError } from "./errors.ts";
import { faultsSchema } from "./faults.ts";
import { parseBracketQuery } from "./http/brackets.ts";
import { readBody } from "./http/body.ts";
import { sendJson } from "./http/reply.ts";
import type { Runtime } from "./runtime.ts";
import { snapshot } from "./state/snapshot.ts";

const configSchema = z.object({
  plan: z.enum(["standard", "enterprise", "box"]).optional(),
  rateLimit: z
    .object({ burst: z.number().positive(), drainPerSec: z.number().min(0) })
    .nullable()
    .optional(),
  operatingLimitSec: z.number().positive().nullable().optional(),
  commandCostMs: z.number().min(0).optional(),
  maxConcurrent: z.number().int().min(0).nullable().optional(),
  webhookTelephony: z.boolean().optional(),
  maxBodyBytes: z.number().int().positive().optional(),
  maxUploadBytes: z.number().int().positive().optional(),
});

const clockSchema = z.object({ advanceMs: z.number().min(0) });

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req)).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new RestError(400, "INVALID_REQUEST", "JSON body expected");
  }
}

function applyConfig(runtime: Runtime, input: z.infer<typeof configSchema>): void {
  const { config } = runtime;
  if (input.plan !== undefined) config.plan = input.plan;
  if (input.rateLimit !== undefined) config.rateLimitOverride = input.rateLimit;
  if (input.operatingLimitSec !== undefined) config.operatingLimitOverride = input.operatingLimitSec;
  if (input.commandCostMs !== undefined) config.commandCostMs = input.commandCostMs;
  if (input.maxConcurrent !== undefined) config.maxConcurrent = input.maxConcurrent || null;
  if (input.webhookTelephony !== undefined) config.webhookTelephony = input.webhookTelephony;
  if (input.maxBodyBytes !== undefined) config.maxBodyBytes = input.maxBodyBytes;
  if (input.maxUploadBytes !== undefined) config.maxUploadBytes = input.maxUploadBytes;
  runtime.gate.pump();
}

function reset(runtime: Runtime): void {
  runtime.state.reset();
  runtime.bucket.reset();
  runtime.operating.reset();
  runtime.faults.clear();
  runtime.credentials.clear();
  runtime.uploads.clear();
}

type Route = (runtime: Runtime, req: IncomingMessage, query: string) => Promise<unknown>;

const routes: Record<string, Route> = {
  "GET state": async (runtime, _req, query) => {
    const since = Number(parseBracketQuery(query).since);
    return snapshot(runtime, Number.isFinite(since) && since > 0 ? since : null);
  },
  "GET health": async () => ({ ok: true }),
  "POST reset": async (runtime) => (reset(runtime), { ok: true }),
  "POST faults": async (runtime, req) => {
    const input = faultsSchema.parse(await jsonBody(req));
    runtime.faults.apply(input);
    if (input.expireTokens) runtime.tokens.expireAll();
    if (runtime.faults.outageMode === "refuse" && (input.outageForMs ?? 0) > 0) {
      const ms = input.outageForMs!;
      setTimeout(() => runtime.refuseConnectionsFor(ms), 20); // once this answer is out
    }
    return { ok: true, faults: runtime.faults.describe() };
  },
  "DELETE faults": async (runtime) => (runtime.faults.clear(), { ok: true }),
  "POST credentials": async (runtime, req) =>
    runtime.credentials.apply(credentialsSchema.parse(await jsonBody(req))),
  "POST config": async (runtime, req) => {
    applyConfig(runtime, configSchema.parse(await jsonBody(req)));
    return { ok: true, config: runtime.config };
  },
  "POST events/fire": async (runtime, req) => fireEvent(runtime, fireSchema.parse(await jsonBody(req))),
  "POST clock": async (runtime, req) => {
    runtime.clock.advance(clockSchema.parse(await jsonBody(req)).advanceMs);
    return { ok: true, now: runtime.clock.now() };
  },
};

/** /_emulator/… — the control API used by tests, the demo and the benchmark. */
export async function handleControl(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: string,
) {
  const name = path.replace(/^\/_emulator\/?/, "").replace(/\/$/, "");
  const route = routes[`${req.method ?? "GET"} ${name}`];
  if (!route)
    return sendJson(res, 404, {
      error: "NOT_FOUND",
      error_description: `No control endpoint ${req.method} ${path}`,
    });
  try {
    sendJson(res, 200, await route(runtime, req, query));
  } catch (error) {
    if (error instanceof z.ZodError)
      return sendJson(res, 400, { error: "INVALID_REQUEST", error_description: error.message });
    if (error instanceof RestError)
      return sendJson(res, error.status, { error: error.code, error_description: error.description });
    sendJson(res, 500, { error: "INTERNAL_SERVER_ERROR", error_description: String(error) });
  }
}
