import type { HookPointName } from "./api.ts";

/**
 * The errors of the hook system, one class per concept. Most never leave the runner: a customization
 * that throws, returns a refused value or runs out of time is logged, counted and skipped. Only
 * `HookCrmDeferred` goes through to the stage: the portal could not be asked now, so the reconcile
 * comes back later like any delivery failure, instead of deciding without the hook.
 */

/** The portal refused a customization's command (`code`/`description` as the portal said). */
export class HookCrmError extends Error {
  constructor(
    readonly method: string,
    readonly code: string,
    readonly description: string,
  ) {
    super(`${method}: ${code}: ${description}`);
    this.name = "HookCrmError";
  }
}

/**
 * An earlier attempt of this journaled command was sent and its answer never stored (a worker died in
 * between); with `ifUnknown: "skip"` it is not sent again.
 */
export class HookCommandOutcomeUnknown extends Error {
  constructor(readonly key: string) {
    super(`command ${key} was sent before without a stored answer; not sent again (ifUnknown: "skip")`);
    this.name = "HookCommandOutcomeUnknown";
  }
}

/** The portal cannot be asked now (delivery held, limits, network): the stage retries later. */
export class HookCrmDeferred extends Error {
  constructor(
    readonly key: string,
    override readonly cause: unknown,
  ) {
    super(`command ${key} deferred: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "HookCrmDeferred";
  }
}

/** `ctx.crm` used where no CRM is wired (app-side points, tools without a portal). */
export class HookCrmUnavailable extends Error {
  constructor(readonly point: HookPointName) {
    super(`ctx.crm is not available at ${point} in this process`);
    this.name = "HookCrmUnavailable";
  }
}

/** `ctx.crm` used after the point's run ended (its time limit passed): nothing is sent. */
export class HookContextClosed extends Error {
  constructor(readonly point: HookPointName) {
    super(`the ${point} run this context belongs to has ended (time limit); nothing was sent`);
    this.name = "HookContextClosed";
  }
}

/** A customization module that cannot be used (load, shape, options, setup or type errors). */
export class CustomizationLoadError extends Error {
  constructor(
    readonly customization: string,
    message: string,
    /** The configuration key to fix, when the problem is there. */
    readonly key?: string,
  ) {
    super(`customization ${customization}: ${message}`);
    this.name = "CustomizationLoadError";
  }
}
