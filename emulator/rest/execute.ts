import type { AuthContext } from "../auth/authenticate.ts";
import { sleep } from "../clock.ts";
import { methodNotFound, operationTimeLimit, RestError, wrongAuthType } from "../errors.ts";
import type { ParamObject } from "../http/brackets.ts";
import type { OperatingFigures } from "../limits/operatingTime.ts";
import { findMethod, normaliseMethodName, scopeOf } from "../methods/registry.ts";
import type { MethodOutput, MethodSpec } from "../methods/types.ts";
import { effectiveOperatingLimitSec } from "../options.ts";
import type { Runtime } from "../runtime.ts";

export type CommandOutcome =
  | { ok: true; output: MethodOutput; figures: OperatingFigures; startMs: number; finishMs: number }
  | { ok: false; error: RestError; figures: OperatingFigures; startMs: number; finishMs: number };

function checkAuthRule(spec: MethodSpec, auth: AuthContext, runtime: Runtime): void {
  if (auth.kind !== "webhook") return;
  if (spec.authRule === "app") throw wrongAuthType();
  if (spec.authRule === "telephony" && !runtime.config.webhookTelephony) throw wrongAuthType();
}

/** [S] raises insufficient_scope per method; the docs give 403 (the source suggests 401: our choice, 403). */
function checkScope(method: string, auth: AuthContext, runtime: Runtime): void {
  const scope = scopeOf(method);
  if (scope === null || runtime.credentials.hasScope(auth.credential, scope)) return;
  const by = auth.kind === "webhook" ? "webhook token" : "access token";
  throw new RestError(
    403,
    "insufficient_scope",
    `The request requires higher privileges than provided by the ${by}`,
  );
}

function asRestError(error: unknown): RestError {
  if (error instanceof RestError) return error;
  return new RestError(500, "INTERNAL_SERVER_ERROR", error instanceof Error ? error.message : String(error));
}

/**
 * One command: auth-type rule, operating-time check (before the call, per method and app/webhook),
 * the simulated server cost, the handler. Errors come back as values so batch can collect them.
 */
export async function executeCommand(
  runtime: Runtime,
  rawMethod: string,
  params: ParamObject,
  auth: AuthContext,
): Promise<CommandOutcome> {
  const method = normaliseMethodName(rawMethod);
  const budgetKey = `${auth.budgetKey}|${method}`;
  const startMs = runtime.clock.now();
  const cost = runtime.config.commandCostMs;
  let ran = false;
  try {
    const spec = findMethod(method);
    if (!spec) throw methodNotFound();
    checkAuthRule(spec, auth, runtime);
    checkScope(method, auth, runtime);
    const limit = effectiveOperatingLimitSec(runtime.config);
    if (limit !== null && runtime.operating.figures(budgetKey).operating >= limit) throw operationTimeLimit();
    ran = true;
    await sleep(cost);
    const output = await spec.handler(params, { runtime, auth });
    runtime.operating.add(budgetKey, cost);
    const figures = runtime.operating.figures(budgetKey);
    return { ok: true, output, figures, startMs, finishMs: runtime.clock.now() };
  } catch (error) {
    if (ran) runtime.operating.add(budgetKey, cost);
    const figures = runtime.operating.figures(budgetKey);
    return { ok: false, error: asRestError(error), figures, startMs, finishMs: runtime.clock.now() };
  }
}
