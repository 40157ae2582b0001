import type { CallState } from "../calls/types.ts";
import type { Logger } from "../logging/logger.ts";
import type {
  CrmCallOptions,
  CrmParams,
  DeepReadonly,
  HookConfigView,
  HookDb,
  HookInput,
  HookPointName,
  HookValue,
  Middleware,
  UserLookup,
} from "./api.ts";
import { TimeBudget } from "./budget.ts";
import { checkMethodName, hookCommandKey, isReadMethod } from "./commandKey.ts";
import { checkCrmParams } from "./crmParams.ts";
import { HookContextClosed, HookCrmDeferred, HookCrmUnavailable } from "./errors.ts";
import { deepFreeze, frozenCopy } from "./freeze.ts";
import { HOOK_POINTS, type HookPointSpec } from "./points.ts";
import type { HookCrmGateway } from "./ports.ts";
import type { HookStats } from "./stats.ts";

/** What the stage hands to one run of a point. */
export interface RunRequest<P extends HookPointName> {
  call: CallState;
  input: HookInput<P>;
  /** The stage's own value: the innermost layer, and the fallback. */
  value: HookValue<P>;
  /** The stage's semantic check of a hook's value (e.g. "unknown group"); returns why it is refused. */
  accept?: (value: HookValue<P>) => string | undefined;
  /** Workers: customizations' CRM commands go here (journaled). */
  crm?: HookCrmGateway;
  /** Workers: the call's directory view. */
  users?: UserLookup;
  /** The occurrence of a repeating event (onAnswer: leg id, onTransfer: index). */
  instance?: string;
}

export interface Layer {
  name: string;
  fn: Middleware<HookPointName, unknown>;
  options: unknown;
}

/** What every run shares, owned by the HookRunner. */
export interface RunEnv {
  logger: Logger;
  stats: HookStats;
  config: DeepReadonly<HookConfigView>;
  db: HookDb | undefined;
  callView(call: CallState): CallState;
  limitMs(point: HookPointName): number;
  now(): number;
}

const TIMED_OUT = Symbol("timed out");
const NO_USERS: UserLookup = Object.freeze({ userIdByExtension: () => undefined });

/**
 * One run of a point's chain: the layers in order, the stage's value innermost. Each layer is
 * isolated: a throw, a refused value or a `ctx.crm` misuse skips that layer (its `next()` result is
 * used); the time limit ends the whole run with the stage's value. Only `HookCrmDeferred` goes through.
 */
export class PointRun<P extends HookPointName> {
  private readonly spec: HookPointSpec;
  private readonly budget: TimeBudget;
  private readonly frozenDefault: unknown;
  private readonly frozenInput: unknown;
  private readonly started: boolean[] = [];
  private readonly settled: boolean[] = [];
  private closed = false;

  constructor(
    private readonly env: RunEnv,
    private readonly point: P,
    private readonly chain: readonly Layer[],
    private readonly request: RunRequest<P>,
  ) {
    this.spec = HOOK_POINTS[point];
    this.budget = new TimeBudget(env.limitMs(point), env.now);
    this.frozenDefault = frozenCopy(request.value);
    this.frozenInput = frozenCopy(request.input);
  }

  async execute(): Promise<HookValue<P>> {
    const startedAt = this.env.now();
    this.budget.start();
    const done = this.layer(0);
    try {
      const result = await Promise.race([done, this.budget.expired.then(() => TIMED_OUT)]);
      if (result !== TIMED_OUT) return this.toStage(result);
      done.catch(() => undefined); // the late end of a timed-out run changes nothing
      this.reportTimeout();
      return this.request.value;
    } catch (err) {
      if (err instanceof HookCrmDeferred) this.env.stats.failed(this.point, "deferred");
      throw err;
    } finally {
      this.closed = true;
      this.budget.stop();
      this.env.stats.ran(this.point, this.env.now() - startedAt);
    }
  }

  private layer(index: number): Promise<unknown> {
    if (index === this.chain.length) return Promise.resolve(this.frozenDefault);
    return this.runLayer(index);
  }

  private async runLayer(index: number): Promise<unknown> {
    const layer = this.chain[index]!;
    let inner: Promise<unknown> | undefined;
    const next = () => (inner ??= this.layer(index + 1));
    this.started[index] = true;
    try {
      const returned: unknown = await layer.fn(this.contextFor(layer) as never, next as never);
      if (returned === undefined || this.spec.kind === "event") return await next();
      const checked = this.check(returned);
      if (typeof checked === "string") {
        this.report(layer, "refused", checked);
        return await next();
      }
      return checked.value;
    } catch (err) {
      if (err instanceof HookCrmDeferred) throw err;
      this.report(layer, "error", describe(err), stackOf(err));
      return await next();
    } finally {
      this.settled[index] = true;
    }
  }

  /** The value parsed by the point's schema (a fresh copy) and accepted by the stage, or why not. */
  private check(returned: unknown): { value: unknown } | string {
    const parsed = this.spec.schema.safeParse(returned);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? issue.path.join(".") : "value";
      return `returned an invalid value (${where}: ${issue?.message ?? "invalid"})`;
    }
    const problem = this.request.accept?.(parsed.data as HookValue<P>);
    if (problem) return `returned a value the stage refuses: ${problem}`;
    return { value: deepFreeze(parsed.data) };
  }

  /** The stage gets a value nobody else holds: its own, or a mutable copy of a hook's. */
  private toStage(result: unknown): HookValue<P> {
    if (result === this.frozenDefault || this.spec.kind === "event") return this.request.value;
    return structuredClone(result) as HookValue<P>;
  }

  private contextFor(layer: Layer): object {
    const { env, request, point } = this;
    const callId = request.call.callId;
    let log: Logger | undefined;
    const budget = this.budget;
    const ctx: Record<string, unknown> = {
      point,
      callId,
      call: env.callView(request.call),
      input: this.frozenInput,
      value: this.frozenDefault,
      options: layer.options,
      config: env.config,
      db: env.db,
      get signal() {
        return budget.signal;
      },
      get log() {
        return (log ??= env.logger.child({ callId, hook: point, customization: layer.name }));
      },
    };
    if (this.spec.side === "workers") {
      let ordinal = 0;
      ctx.crm = Object.freeze({
        call: (method: string, params?: CrmParams, options?: CrmCallOptions) =>
          this.crmCall(layer, options?.key ?? `#${++ordinal}`, method, params, options),
      });
      ctx.users = request.users ?? NO_USERS;
    }
    return Object.freeze(ctx);
  }

  private async crmCall(
    layer: Layer,
    label: string,
    method: string,
    params: CrmParams | undefined,
    options: CrmCallOptions | undefined,
  ): Promise<unknown> {
    if (this.closed) throw new HookContextClosed(this.point);
    const gateway = this.request.crm;
    if (!gateway) throw new HookCrmUnavailable(this.point);
    checkMethodName(method);
    const request = {
      callId: this.request.call.callId,
      point: this.point,
      key: hookCommandKey({
        customization: layer.name,
        point: this.point,
        instance: this.request.instance,
        label,
      }),
      method,
      params: checkCrmParams(params ?? {}),
      journal: options?.journal ?? !isReadMethod(method),
      ifUnknown: options?.ifUnknown ?? "skip",
    } as const;
    this.budget.pause();
    try {
      return await gateway.call(request);
    } finally {
      this.budget.resume();
    }
  }

  private report(layer: Layer, kind: "error" | "refused", problem: string, stack?: string): void {
    this.env.stats.failed(this.point, kind);
    this.env.logger.warn(
      { callId: this.request.call.callId, hook: this.point, customization: layer.name, err: problem, stack },
      `customization ${layer.name} ${kind === "error" ? "failed" : "was refused"} at ${this.point}; the value without it is used`,
    );
  }

  private reportTimeout(): void {
    let culprit: string | undefined;
    for (let i = this.chain.length - 1; i >= 0 && culprit === undefined; i--) {
      if (this.started[i] && !this.settled[i]) culprit = this.chain[i]!.name;
    }
    this.env.stats.failed(this.point, "timeout");
    this.env.logger.warn(
      {
        callId: this.request.call.callId,
        hook: this.point,
        customization: culprit,
        limitMs: this.budget.limitMs,
      },
      `hook ${this.point} exceeded its time limit; the connector's own value is used`,
    );
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** The top frames only: enough to find the line in the customization, short enough for a log line. */
function stackOf(err: unknown): string | undefined {
  if (!(err instanceof Error) || !err.stack) return undefined;
  return err.stack
    .split("\n")
    .slice(1, 5)
    .map((l) => l.trim())
    .join(" | ");
}
