import type { Redis } from "ioredis";
import type { BitrixAuthConfig } from "../../core/config/schema.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import type { AuthProvider } from "./auth.ts";
import { BitrixClient } from "./client.ts";
import { createOAuthAuth } from "./oauthAuth.ts";
import { createOfflineAuth } from "./offlineAuth.ts";
import { createWebhookAuth } from "./webhookAuth.ts";

export * from "./errors.ts";
export * from "./client.ts";
export type { AuthProvider, AuthState, Credentials } from "./auth.ts";
export { buildQuery, buildCommand } from "./queryString.ts";

export interface AuthDeps {
  redis: Redis;
  keys: RedisKeys;
  logger?: Logger;
}

/** The auth provider for `bitrix.auth` (webhook, oauth or offline). */
export function createAuth(auth: BitrixAuthConfig, deps: AuthDeps): AuthProvider {
  switch (auth.type) {
    case "webhook":
      return createWebhookAuth(auth.webhookUrl);
    case "oauth":
      return createOAuthAuth(auth, deps);
    case "offline":
      return createOfflineAuth(auth.restUrl, auth.tokenFiles, { logger: deps.logger });
  }
}

export function createBitrixClient(
  auth: BitrixAuthConfig,
  requestTimeoutMs: number,
  deps: AuthDeps,
): BitrixClient {
  return new BitrixClient({ auth: createAuth(auth, deps), requestTimeoutMs, logger: deps.logger });
}
