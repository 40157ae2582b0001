import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticate, tokenFrom, type Credentials } from "../auth/authenticate.ts";
import { sleep } from "../clock.ts";
import { methodNotFound, queryLimitExceeded, RestError } from "../errors.ts";
import { parseBracketQuery, type ParamObject } from "../http/brackets.ts";
import { BodyParseError, BodyTooLarge, parseRestBody, readBody } from "../http/body.ts";
import { normaliseMethodName } from "../methods/registry.ts";
import { effectiveRateLimit } from "../options.ts";
import type { Runtime } from "../runtime.ts";
import type { RequestLogEntry } from "../state/types.ts";
import { runBatch } from "./batch.ts";
import { executeCommand } from "./execute.ts";
import { refusedUpFront, stoppedByFaults } from "./faultGate.ts";
import { Exchange } from "./reply.ts";
import { parseRestRoute, type RestRoute } from "./route.ts";
import { handleUpload } from "./upload.ts";

interface RestRequest {
  req: IncomingMessage;
  body: Buffer;
  query: string;
  route: RestRoute;
}

function credentialsOf(
  route: RestRoute,
  params: ParamObject,
  query: ParamObject,
  req: IncomingMessage,
): Credentials {
  if (route.kind === "webhook") return { kind: "webhook", userId: route.userId, secret: route.secret };
  return { kind: "token", token: tokenFrom(params, query, req.headers) };
}

function paramsOf(request: RestRequest): { params: ParamObject; query: ParamObject } {
  const query = parseBracketQuery(request.query);
  try {
    return {
      params: { ...query, ...parseRestBody(request.body, request.req.headers["content-type"]) },
      query,
    };
  } catch (error) {
    if (error instanceof BodyParseError) throw new RestError(400, "INVALID_REQUEST", error.message);
    throw error;
  }
}

async function processRest(runtime: Runtime, exchange: Exchange, request: RestRequest): Promise<void> {
  const { route } = request;
  if (route.kind === "upload")
    return handleUpload(runtime, exchange, request.req, request.body, request.query);
  await sleep(runtime.faults.latencyMs);
  if (runtime.faults.roll5xx()) throw new RestError(500, "INTERNAL_SERVER_ERROR", "Internal server error");
  const { params, query } = paramsOf(request);
  const auth = authenticate(
    credentialsOf(route, params, query, request.req),
    runtime.state,
    runtime.tokens,
    runtime.credentials,
  );
  exchange.entry.auth = auth.kind;
  delete params.auth;
  delete params.access_token;
  if (route.method === "") throw methodNotFound();
  if (normaliseMethodName(route.method) === "batch") {
    const run = await runBatch(runtime, params, auth);
    exchange.entry.batchSize = run.commands.length;
    exchange.entry.commands = run.commands;
    return exchange.success({ result: run.result }, run.figures);
  }
  const outcome = await executeCommand(runtime, route.method, params, auth);
  if (!outcome.ok) return exchange.failure(outcome.error, outcome.figures);
  const { result, total, next } = outcome.output;
  const body: Record<string, unknown> = { result };
  if (next !== undefined) body.next = next;
  if (total !== undefined) body.total = total;
  exchange.success(body, outcome.figures);
}

function logEntry(runtime: Runtime, route: RestRoute | null, path: string): RequestLogEntry {
  const method = !route ? path : route.kind === "upload" ? "upload" : normaliseMethodName(route.method);
  const entry: RequestLogEntry = { method, at: runtime.clock.now(), status: 0, auth: "none" };
  if (route?.kind === "webhook") entry.auth = "webhook";
  runtime.state.requests.push(entry);
  return entry;
}

/** The body within the limit of its route, or null after answering 413 (nginx's page, connection closed). */
async function bodyWithinLimit(
  runtime: Runtime,
  req: IncomingMessage,
  exchange: Exchange,
  route: RestRoute | null,
): Promise<Buffer | null> {
  const { maxBodyBytes, maxUploadBytes } = runtime.config;
  try {
    return await readBody(req, route?.kind === "upload" ? maxUploadBytes : maxBodyBytes);
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error;
    exchange.refusedPage(413, "413 Request Entity Too Large", "HTTP_413", true);
    return null;
  }
}

/**
 * A REST request: the body limit (413), injected faults and refusals, then the rate limit (a rejected
 * request adds nothing), then the queue.
 */
export async function handleRest(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: string,
) {
  const route = parseRestRoute(path);
  const exchange = new Exchange(runtime, res, logEntry(runtime, route, path));
  const body = await bodyWithinLimit(runtime, req, exchange, route);
  if (body === null) return;
  if (stoppedByFaults(runtime, exchange)) return;
  if (refusedUpFront(runtime, exchange, body)) return;
  if (!route) return exchange.failure(methodNotFound());
  if (!runtime.bucket.tryTake(effectiveRateLimit(runtime.config)))
    return exchange.failure(queryLimitExceeded());
  exchange.answerFault = runtime.faults.takeAnswerFault();
  const release = await runtime.gate.acquire();
  try {
    await processRest(runtime, exchange, { req, body, query, route });
  } catch (error) {
    const restError =
      error instanceof RestError ? error : new RestError(500, "INTERNAL_SERVER_ERROR", String(error));
    exchange.failure(restError);
  } finally {
    release();
  }
}
