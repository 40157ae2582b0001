import { z } from "zod";

export const faultsSchema = z.object({
  latencyMs: z.number().min(0).optional(),
  errorRate5xx: z.number().min(0).max(1).optional(),
  hang: z.boolean().optional(),
  outageForMs: z.number().min(0).optional(),
  /** How an outage answers: "503" (default) or "drop" (the connection is destroyed unanswered). */
  outageMode: z.enum(["503", "drop"]).optional(),
  expireTokens: z.boolean().optional(),
});

export type FaultsInput = z.infer<typeof faultsSchema>;

/** Injected faults (POST /_emulator/faults). They apply to REST calls and the OAuth token endpoint. */
export class Faults {
  latencyMs = 0;
  errorRate5xx = 0;
  hang = false;
  outageUntil = 0;
  outageMode: "503" | "drop" = "503";

  constructor(private readonly now: () => number) {}

  apply(input: FaultsInput): void {
    if (input.latencyMs !== undefined) this.latencyMs = input.latencyMs;
    if (input.errorRate5xx !== undefined) this.errorRate5xx = input.errorRate5xx;
    if (input.hang !== undefined) this.hang = input.hang;
    if (input.outageMode !== undefined) this.outageMode = input.outageMode;
    if (input.outageForMs !== undefined) this.outageUntil = Date.now() + input.outageForMs;
  }

  clear(): void {
    this.latencyMs = 0;
    this.errorRate5xx = 0;
    this.hang = false;
    this.outageUntil = 0;
    this.outageMode = "503";
  }

  /** Outages run on the wall clock: advancing the emulator clock does not end them. */
  inOutage(): boolean {
    return Date.now() < this.outageUntil;
  }

  roll5xx(): boolean {
    return this.errorRate5xx > 0 && Math.random() < this.errorRate5xx;
  }

  describe(): Record<string, unknown> {
    return {
      latencyMs: this.latencyMs,
      errorRate5xx: this.errorRate5xx,
      hang: this.hang,
      outageRemainingMs: Math.max(0, this.outageUntil - Date.now()),
      outageMode: this.outageMode,
      now: this.now(),
    };
  }
}
