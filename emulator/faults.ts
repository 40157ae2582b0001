import { z } from "zod";

export const answerFaults = ["drop", "hang", "502", "html200"] as const;
export type AnswerFault = (typeof answerFaults)[number];

export const faultsSchema = z.object({
  latencyMs: z.number().min(0).optional(),
  errorRate5xx: z.number().min(0).max(1).optional(),
  hang: z.boolean().optional(),
  outageForMs: z.number().min(0).optional(),
  /**
   * How an outage answers: "503" (default), "drop" (the connection is destroyed unanswered) or
   * "refuse" (the portal stops listening: connections are refused; the control API too, until it ends).
   */
  outageMode: z.enum(["503", "drop", "refuse"]).optional(),
  expireTokens: z.boolean().optional(),
  /** Every REST request is refused with 503 OVERLOAD_LIMIT (a manual block only Bitrix support lifts). */
  overload: z.boolean().optional(),
  /** Every REST request is refused with 403 ACCESS_DENIED ("REST is available only on commercial plans."). */
  accessDenied: z.boolean().optional(),
  /** Every REST request is refused with an HTML 408, as nginx does when a body arrives too slowly. */
  requestTimeout408: z.boolean().optional(),
  /** A REST request whose body contains this text is refused whole with an HTML 400 (a WAF rule). */
  rejectBodyMatching: z.string().min(1).nullable().optional(),
  /** The request RUNS, then its answer is lost: dropped, never sent, a 502 page or a 200 HTML page. */
  afterRun: z.enum(answerFaults).nullable().optional(),
  /** How many requests `afterRun` hits before it clears itself (default: every one while it is set). */
  afterRunCount: z.number().int().positive().optional(),
});

export type FaultsInput = z.infer<typeof faultsSchema>;

/** Injected faults (POST /_emulator/faults). They apply to REST calls and the OAuth token endpoint. */
export class Faults {
  latencyMs = 0;
  errorRate5xx = 0;
  hang = false;
  outageUntil = 0;
  outageMode: "503" | "drop" | "refuse" = "503";
  overload = false;
  accessDenied = false;
  requestTimeout408 = false;
  rejectBodyMatching: string | null = null;
  afterRun: AnswerFault | null = null;
  /** Requests `afterRun` still hits; null = unlimited. */
  afterRunLeft: number | null = null;

  constructor(private readonly now: () => number) {}

  apply(input: FaultsInput): void {
    if (input.latencyMs !== undefined) this.latencyMs = input.latencyMs;
    if (input.errorRate5xx !== undefined) this.errorRate5xx = input.errorRate5xx;
    if (input.hang !== undefined) this.hang = input.hang;
    if (input.outageMode !== undefined) this.outageMode = input.outageMode;
    if (input.outageForMs !== undefined) this.outageUntil = Date.now() + input.outageForMs;
    if (input.overload !== undefined) this.overload = input.overload;
    if (input.accessDenied !== undefined) this.accessDenied = input.accessDenied;
    if (input.requestTimeout408 !== undefined) this.requestTimeout408 = input.requestTimeout408;
    if (input.rejectBodyMatching !== undefined) this.rejectBodyMatching = input.rejectBodyMatching;
    if (input.afterRun !== undefined) {
      this.afterRun = input.afterRun;
      this.afterRunLeft = input.afterRunCount ?? null;
    }
  }

  clear(): void {
    this.latencyMs = 0;
    this.errorRate5xx = 0;
    this.hang = false;
    this.outageUntil = 0;
    this.outageMode = "503";
    this.overload = false;
    this.accessDenied = false;
    this.requestTimeout408 = false;
    this.rejectBodyMatching = null;
    this.afterRun = null;
    this.afterRunLeft = null;
  }

  /** Outages run on the wall clock: advancing the emulator clock does not end them. */
  inOutage(): boolean {
    return Date.now() < this.outageUntil;
  }

  roll5xx(): boolean {
    return this.errorRate5xx > 0 && Math.random() < this.errorRate5xx;
  }

  /** Whether this request's answer is to be lost (decided when it arrives; counts it). */
  takeAnswerFault(): AnswerFault | null {
    const fault = this.afterRun;
    if (fault === null) return null;
    if (this.afterRunLeft !== null && --this.afterRunLeft <= 0) {
      this.afterRun = null;
      this.afterRunLeft = null;
    }
    return fault;
  }

  describe(): Record<string, unknown> {
    return {
      latencyMs: this.latencyMs,
      errorRate5xx: this.errorRate5xx,
      hang: this.hang,
      outageRemainingMs: Math.max(0, this.outageUntil - Date.now()),
      outageMode: this.outageMode,
      overload: this.overload,
      accessDenied: this.accessDenied,
      requestTimeout408: this.requestTimeout408,
      rejectBodyMatching: this.rejectBodyMatching,
      afterRun: this.afterRun,
      afterRunLeft: this.afterRunLeft,
      now: this.now(),
    };
  }
}
