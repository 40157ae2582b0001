import type { Seed } from "./seed.ts";

export type Plan = "standard" | "enterprise" | "box";

export interface RateLimitSettings {
  burst: number;
  drainPerSec: number;
}

export interface EmulatorOptions {
  /** 0 or undefined = random free port. */
  port?: number;
  /** Address to listen on; default 127.0.0.1 (0.0.0.0 in a container, where the workers are elsewhere). */
  host?: string;
  /** Default "standard". */
  plan?: Plan;
  /** Parsed seed object; default: emulator/seeds/callcentre.json. */
  seed?: Seed;
  /** Overrides the plan's bucket; null = off. */
  rateLimit?: RateLimitSettings | null;
  /** Per-method operating-time limit in a 10-minute window; default 480 for cloud plans, null (off) for box. */
  operatingLimitSec?: number | null;
  /** Simulated server time per command (a batch of 50 costs 50×); default 0. */
  commandCostMs?: number;
  /** Requests processed at once; more wait in line; default unlimited. */
  maxConcurrent?: number;
  /** Default true: webhooks may call register/finish/externalLine; false → WRONG_AUTH_TYPE. */
  webhookTelephony?: boolean;
  /** Base URL used in uploadUrl, client_endpoint etc.; default http://127.0.0.1:<port>. */
  publicUrl?: string;
  /** Largest REST request body (bytes); a bigger one is refused with 413 before it runs. Default 16 MiB. */
  maxBodyBytes?: number;
  /** Largest body of the attachRecord upload target (bytes); default 256 MiB. */
  maxUploadBytes?: number;
}

export interface RunningEmulator {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Settings that POST /_emulator/config may change while the emulator runs. */
export interface RuntimeConfig {
  plan: Plan;
  /** undefined = the plan's default; null = off. */
  rateLimitOverride: RateLimitSettings | null | undefined;
  /** undefined = the plan's default; null = off. */
  operatingLimitOverride: number | null | undefined;
  commandCostMs: number;
  maxConcurrent: number | null;
  webhookTelephony: boolean;
  maxBodyBytes: number;
  maxUploadBytes: number;
}

/** 16 MiB holds a 10-minute wav sent as base64 FILE_CONTENT (about 13 MB), as PHP's post_max_size would. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_UPLOAD_BYTES = 256 * 1024 * 1024;

const planBuckets: Record<Plan, RateLimitSettings | null> = {
  standard: { burst: 50, drainPerSec: 2 },
  enterprise: { burst: 250, drainPerSec: 5 },
  box: null,
};

export function effectiveRateLimit(config: RuntimeConfig): RateLimitSettings | null {
  return config.rateLimitOverride !== undefined ? config.rateLimitOverride : planBuckets[config.plan];
}

/** Operating limit in seconds, or null when off (the box default). */
export function effectiveOperatingLimitSec(config: RuntimeConfig): number | null {
  if (config.operatingLimitOverride !== undefined) return config.operatingLimitOverride;
  return config.plan === "box" ? null : 480;
}

export function runtimeConfigFrom(opts: EmulatorOptions): RuntimeConfig {
  return {
    plan: opts.plan ?? "standard",
    rateLimitOverride: opts.rateLimit,
    operatingLimitOverride: opts.operatingLimitSec,
    commandCostMs: opts.commandCostMs ?? 0,
    maxConcurrent: opts.maxConcurrent && opts.maxConcurrent > 0 ? opts.maxConcurrent : null,
    webhookTelephony: opts.webhookTelephony ?? true,
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxUploadBytes: opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
  };
}
