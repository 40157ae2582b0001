import type { CrmParams, HookMap, HookPointName } from "./api.ts";

/**
 * What the runner needs from the process it runs in, and what it hands over. The implementations are
 * injected where the hooks are wired (workers: journal + delivery pipeline; app: none for the CRM).
 */

/** One command of a customization, with its journal key (see commandKey.ts). */
export interface HookCrmRequest {
  callId: string;
  point: HookPointName;
  key: string;
  method: string;
  params: CrmParams;
  /** Journaled (sent once per call) or not (reads). */
  journal: boolean;
  ifUnknown: "skip" | "resend";
}

/** Sends customizations' commands; workers implement it with `JournaledHookCrm` (crmGateway.ts). */
export interface HookCrmGateway {
  call(request: HookCrmRequest): Promise<unknown>;
}

/** A customization ready to run: its hooks with its options bound. */
export interface LoadedCustomization {
  name: string;
  origin: "shipped" | "folder";
  /** The module's file, for folder customizations. */
  file?: string;
  description?: string;
  options: unknown;
  hooks: HookMap<unknown>;
}
