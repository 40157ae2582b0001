import type { ServerResponse } from "node:http";
import { CredentialControl } from "./auth/credentialControl.ts";
import { TokenStore } from "./auth/tokens.ts";
import { Clock } from "./clock.ts";
import { Faults } from "./faults.ts";
import { ConcurrencyGate } from "./limits/concurrency.ts";
import { LeakyBucket } from "./limits/leakyBucket.ts";
import { OperatingTime } from "./limits/operatingTime.ts";
import { runtimeConfigFrom, type EmulatorOptions, type RuntimeConfig } from "./options.ts";
import { loadSeedFile, parseSeed } from "./seed.ts";
import { PortalState } from "./state/portal.ts";

export interface PendingUpload {
  callId: string;
  fileName: string;
}

/** Everything one running emulator holds; passed to every handler. */
export interface Runtime {
  clock: Clock;
  config: RuntimeConfig;
  state: PortalState;
  tokens: TokenStore;
  /** Revoked credentials and narrowed scopes (POST /_emulator/credentials). */
  credentials: CredentialControl;
  bucket: LeakyBucket;
  operating: OperatingTime;
  gate: ConcurrencyGate;
  faults: Faults;
  /** Base URL for uploadUrl, client_endpoint…; fixed once the port is known. */
  publicUrl: string;
  uploads: Map<string, PendingUpload>;
  /** Responses held open by the `hang` fault; destroyed on close. */
  hung: Set<ServerResponse>;
  /** Stops listening for `ms` (the "refuse" outage); set by the server once it listens. */
  refuseConnectionsFor: (ms: number) => void;
}

export function createRuntime(opts: EmulatorOptions): Runtime {
  const clock = new Clock();
  const now = (): number => clock.now();
  const seed = parseSeed(opts.seed ?? loadSeedFile());
  const config = runtimeConfigFrom(opts);
  const tokens = new TokenStore(seed, clock);
  return {
    clock,
    config,
    state: new PortalState(seed),
    tokens,
    credentials: new CredentialControl(tokens),
    bucket: new LeakyBucket(now),
    operating: new OperatingTime(now),
    gate: new ConcurrencyGate(() => config.maxConcurrent),
    faults: new Faults(now),
    publicUrl: opts.publicUrl ?? "",
    uploads: new Map(),
    hung: new Set(),
    refuseConnectionsFor: () => undefined,
  };
}
