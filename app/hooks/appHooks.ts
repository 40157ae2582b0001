import { foldCallEvents } from "../../core/calls/reducer.ts";
import type { CallState } from "../../core/calls/types.ts";
import type {
  HookInput,
  HookPointName,
  HookValue,
  OriginateParams,
  OriginatePurpose,
} from "../../core/hooks/api.ts";
import type { CallContext } from "../calls/context.ts";
import { nowIso } from "../calls/context.ts";
import type { CallSession } from "../calls/session.ts";

/**
 * The app's side of the customization hooks (routeInbound, ivrExtension, beforeRing, beforeOriginate,
 * onOriginateFailed, normalizeClientNumber for dialling). The runner is CallContext.hooks; a point
 * without customizations costs one Map lookup and no call view is built. App-side hooks never reach
 * the CRM; they see the call as it started (direction, numbers, line) — legs are the workers' view.
 */

export function appHookActive(ctx: CallContext, point: HookPointName): boolean {
  return ctx.hooks?.active(point) ?? false;
}

export function runAppHook<P extends HookPointName>(
  ctx: CallContext,
  call: CallSession,
  point: P,
  input: HookInput<P>,
  value: HookValue<P>,
  accept?: (value: HookValue<P>) => string | undefined,
): Promise<HookValue<P>> {
  const hooks = ctx.hooks;
  if (!hooks?.active(point)) return Promise.resolve(value);
  return hooks.run(point, { call: appCallView(call), input, value, ...(accept ? { accept } : {}) });
}

/** The call as it started, for app-side hooks. */
export function appCallView(call: CallSession): CallState {
  const c = call.ctl;
  return foldCallEvents([
    {
      type: "callStarted",
      at: nowIso(),
      callId: c.callId,
      direction: c.direction,
      clientNumber: c.clientNumber,
      lineNumber: c.lineNumber,
      ...(c.originExtension !== undefined ? { originExtension: c.originExtension } : {}),
    },
  ]);
}

/**
 * beforeOriginate: a hook may change the endpoint, caller id, ring time and variables; the
 * connector's own variables (TRANSFER_CONTEXT) win, so transfers keep working.
 */
export async function originateParams(
  ctx: CallContext,
  call: CallSession,
  purpose: OriginatePurpose,
  who: { extension: string | null; number: string | null },
  own: OriginateParams,
): Promise<OriginateParams> {
  const params = await runAppHook(ctx, call, "beforeOriginate", { purpose, ...who }, own, (v) =>
    typeof v.endpoint === "string" && v.endpoint.includes("/") ? undefined : "endpoint must be a dial string",
  );
  return { ...params, variables: { ...params.variables, ...own.variables } };
}

/** onOriginateFailed, not awaited: a slow hook never holds up the call's handling. */
export function onOriginateFailedHook(
  ctx: CallContext,
  call: CallSession,
  input: HookInput<"onOriginateFailed">,
): void {
  if (!appHookActive(ctx, "onOriginateFailed")) return;
  void runAppHook(ctx, call, "onOriginateFailed", input, undefined).catch(() => undefined);
}
