import {
  callOutcome,
  cardAudience,
  isCrmCall,
  registerUser,
  responsibleUser,
  statusCode,
  talkDurationSec,
  type UserDirectory,
} from "../calls/decisions/index.ts";
import type { CallState } from "../calls/types.ts";
import type { CardMode, Config } from "../config/schema.ts";
import { normaliseClientNumber } from "../numbers/index.ts";
import type {
  AttachRecordParams,
  FinishParams,
  HookInput,
  HookPointName,
  HookValue,
  RecordingSource,
  RegisterParams,
  UserChoice,
} from "./api.ts";
import type { HookCrmGateway } from "./ports.ts";
import type { HookRunner } from "./runner.ts";

/**
 * The workers' decisions with their hooks: each method computes the connector's own value with the
 * pure decision of core/calls/decisions and runs the point's customizations around it. One instance
 * per call per reconcile round (the call state and the directory of that round); every value is
 * computed at most once per round. The planner asks only for what its branch needs.
 */

export interface CallDecisionsDeps {
  runner: HookRunner;
  call: CallState;
  /** The directory for this call (see userNumbers.ts: extensions already through normalizeUserNumber). */
  directory: UserDirectory;
  config: Pick<Config, "crm" | "numbers">;
  /** Card mode of a user (planSteps.ts: cardModeOf). */
  cardModeFor: (userId: number) => CardMode;
  /** The journaled gateway of this round (absent in tools without a portal). */
  crm?: HookCrmGateway;
}

export class CallDecisions {
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: CallDecisionsDeps) {}

  shouldProcess(): Promise<boolean> {
    const { call, config } = this.deps;
    return this.once("shouldProcessCall", {}, () =>
      isCrmCall(call, { registerInternal: config.crm.registerInternal }),
    );
  }

  /**
   * `base`: the stage's own PHONE_NUMBER when it has one (the workers' planner gives the number with
   * the withheld placeholder and the portal's refusals applied); else the plain normalisation.
   */
  clientNumber(base?: string): Promise<string> {
    const { call, config } = this.deps;
    const input = { raw: call.clientNumber, purpose: "register" as const };
    return this.once(
      "normalizeClientNumber",
      input,
      () =>
        base ??
        normaliseClientNumber(call.clientNumber, {
          defaultRegion: config.numbers.defaultRegion,
          rewrite: config.numbers.clientRewrite,
        }),
    );
  }

  line(): Promise<string> {
    return this.once("resolveLine", {}, () => this.deps.call.lineNumber);
  }

  registerUser(): Promise<UserChoice | null> {
    const { call, directory, config } = this.deps;
    return this.once(
      "registerUser",
      {},
      () => registerUser(call, directory, { defaultUserId: config.crm.defaultUserId }) ?? null,
    );
  }

  cardAudience(): Promise<number[]> {
    const { call, directory, cardModeFor } = this.deps;
    return this.once("cardAudience", {}, () => cardAudience(call, directory, cardModeFor));
  }

  responsible(): Promise<UserChoice | null> {
    const { call, directory, config } = this.deps;
    return this.once(
      "resolveResponsible",
      {},
      () => responsibleUser(call, directory, { defaultUserId: config.crm.defaultUserId }) ?? null,
    );
  }

  talkDuration(): Promise<number> {
    return this.once("talkDuration", {}, () => talkDurationSec(this.deps.call));
  }

  statusCode(): Promise<string> {
    const call = this.deps.call;
    return this.once("statusCode", { outcome: callOutcome(call) }, () => statusCode(call));
  }

  /** `base`: the register parameters the planner built from the decisions above. */
  registerParams(base: RegisterParams): Promise<RegisterParams> {
    return this.once("beforeRegister", {}, () => base);
  }

  finishParams(bxCallId: string | null, base: FinishParams): Promise<FinishParams> {
    return this.once("beforeFinish", { bxCallId }, () => base);
  }

  recordingSource(delivery: "upload" | "url", base: RecordingSource): Promise<RecordingSource> {
    return this.once("recordingSource", { delivery }, () => base);
  }

  attachRecordParams(
    bxCallId: string,
    source: RecordingSource,
    base: AttachRecordParams,
  ): Promise<AttachRecordParams> {
    return this.once("beforeAttachRecord", { bxCallId, source }, () => base);
  }

  /** The call these decisions are about. */
  get call(): CallState {
    return this.deps.call;
  }

  /** The directory of this round (extensions through normalizeUserNumber). */
  get directory(): UserDirectory {
    return this.deps.directory;
  }

  private once<P extends HookPointName>(
    point: P,
    input: HookInput<P>,
    compute: () => HookValue<P>,
  ): Promise<HookValue<P>> {
    let value = this.memo.get(point) as Promise<HookValue<P>> | undefined;
    if (!value) {
      const { runner, call, directory, crm } = this.deps;
      value = runner.run(point, { call, input, value: compute(), crm, users: directory });
      this.memo.set(point, value);
    }
    return value;
  }
}
