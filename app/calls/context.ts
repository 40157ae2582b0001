import type { Redis } from "ioredis";
import type { Config } from "../../core/config/schema.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { AriRest } from "../ari/rest.ts";
import type { ControlStore } from "./control.ts";
import type { CallRuntime } from "./runtime.ts";
import type { KeyedSerial } from "./serial.ts";
import type { CallTimers } from "./timers.ts";

/** Everything the call-control features share; built once in app/main.ts (or a test). */
export interface CallContext {
  config: Config;
  rest: AriRest;
  runtime: CallRuntime;
  controls: ControlStore;
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  /** Per-call serial execution of ARI event handling and timers. */
  serial: KeyedSerial;
  timers: CallTimers;
  /** Client number normaliser (libphonenumber + rewrite rules). */
  normalise: (raw: string) => string;
}

export function nowIso(): string {
  return new Date().toISOString();
}
