import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import ky from "ky";
import type { Logger } from "../../core/logging/logger.ts";
import type { RedisKeys } from "../../core/redis/keys.ts";
import { AuthFailed, NetworkError, RequestTimeout, ServerError, type BitrixError } from "./errors.ts";
import {
  credentialHash,
  portalOf,
  withTrailingSlash,
  type AuthProvider,
  type AuthState,
  type Credentials,
} from "./auth.ts";

export interface OAuthConfig {
  restUrl: string;
  oauthUrl: string;
  clientId: string;
  clientSecret: string;
  accessToken: string;
  refreshToken: string;
}

/** The current token pair, shared by every worker through Redis. */
export interface TokenRecord {
  accessToken: string;
  refreshToken: string;
  /** Set by a refresh: the portal's REST endpoint (client_endpoint) and when it happened. */
  restUrl?: string;
  refreshedAt?: number;
  /** Hash of the config's token pair this record descends from (new tokens in the config win). */
  seededFrom?: string;
}

export interface OAuthDeps {
  redis: Redis;
  keys: RedisKeys;
  logger?: Logger;
  /** How long one refresh may hold the cluster-wide lock, and how long waiters wait for it. */
  lockTtlMs?: number;
  pollMs?: number;
  requestTimeoutMs?: number;
}

const RELEASE_LOCK = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`;

/**
 * OAuth application: the access token is refreshed ONLY after the portal said 401 expired_token (the
 * docs warn that scheduled refreshes can get an app blocked). Workers coalesce: one process takes
 * `oauthRefreshLock`, refreshes and writes the new pair to Redis before using it; the others poll the
 * token record until the access token they were rejected with has been replaced.
 */
export function createOAuthAuth(config: OAuthConfig, deps: OAuthDeps): AuthProvider {
  const portal = portalOf(config.restUrl);
  const tokensKey = deps.keys.oauthTokens(portal);
  const lockKey = deps.keys.oauthRefreshLock(portal);
  const lockTtlMs = deps.lockTtlMs ?? 30_000;
  const pollMs = deps.pollMs ?? 100;
  let current: TokenRecord | undefined;
  let state: AuthState = "ok";
  let refreshing: Promise<void> | undefined;

  async function readRecord(): Promise<TokenRecord | undefined> {
    const raw = await deps.redis.get(tokensKey);
    if (!raw) return undefined;
    try {
      const record = JSON.parse(raw) as Partial<Record<keyof TokenRecord, unknown>> | null;
      const valid = typeof record?.accessToken === "string" && typeof record.refreshToken === "string";
      return valid ? (record as TokenRecord) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The first worker seeds Redis from the config. A record that descends from other config tokens
   * means the admin put a new pair into the config (the app was authorised again): the config wins.
   */
  async function load(): Promise<TokenRecord> {
    if (current) return current;
    const seededFrom = credentialHash(`${config.accessToken}\n${config.refreshToken}`);
    const seed: TokenRecord = {
      accessToken: config.accessToken,
      refreshToken: config.refreshToken,
      seededFrom,
    };
    const stored = await readRecord();
    if (!stored || (stored.seededFrom !== undefined && stored.seededFrom !== seededFrom)) {
      await deps.redis.set(tokensKey, JSON.stringify(seed));
      if (stored) deps.logger?.info({ portal }, "OAuth tokens replaced by the ones in the configuration");
    }
    current = (await readRecord()) ?? seed;
    return current;
  }

  async function requestNewPair(refreshToken: string): Promise<TokenRecord> {
    const url = new URL(config.oauthUrl);
    url.searchParams.set("grant_type", "refresh_token");
    url.searchParams.set("client_id", config.clientId);
    url.searchParams.set("client_secret", config.clientSecret);
    url.searchParams.set("refresh_token", refreshToken);
    let response: Response;
    try {
      response = await ky.get(url, {
        retry: 0,
        throwHttpErrors: false,
        timeout: deps.requestTimeoutMs ?? 30_000,
      });
    } catch (err) {
      // The REST request that needed the new token was refused before it ran: whatever happened to
      // the refresh, re-sending that request duplicates nothing (hence "not sent").
      if (err instanceof Error && err.name === "TimeoutError")
        throw new RequestTimeout(deps.requestTimeoutMs ?? 30_000, false);
      throw new NetworkError(`OAuth server unreachable: ${err instanceof Error ? err.name : "error"}`, false);
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.ok && typeof body.access_token === "string" && typeof body.refresh_token === "string") {
      const record: TokenRecord = {
        accessToken: body.access_token,
        refreshToken: body.refresh_token,
        refreshedAt: Date.now(),
        seededFrom: credentialHash(`${config.accessToken}\n${config.refreshToken}`),
      };
      if (typeof body.client_endpoint === "string") record.restUrl = body.client_endpoint;
      return record;
    }
    const code = typeof body.error === "string" ? body.error : `HTTP_${response.status}`;
    const description =
      typeof body.error_description === "string" ? body.error_description : "refresh refused";
    if (response.status >= 500)
      throw new ServerError(code, `OAuth server: ${description}`, response.status, "retry");
    throw new AuthFailed(code, `OAuth refresh refused: ${description}`, response.status);
  }

  async function refreshUnderLock(rejected: string): Promise<void> {
    const lockId = randomUUID();
    const deadline = Date.now() + lockTtlMs * 2;
    while (Date.now() < deadline) {
      const record = await readRecord();
      if (record && record.accessToken !== rejected) {
        current = record; // another worker already refreshed
        return;
      }
      if ((await deps.redis.set(lockKey, lockId, "PX", lockTtlMs, "NX")) === "OK") {
        try {
          const fresh = (await readRecord()) ?? (await load());
          if (fresh.accessToken !== rejected) {
            current = fresh;
            return;
          }
          const next = await requestNewPair(fresh.refreshToken);
          await deps.redis.set(tokensKey, JSON.stringify(next)); // persisted before anyone uses it
          current = next;
          deps.logger?.info({ portal }, "OAuth access token refreshed");
          return;
        } finally {
          await deps.redis.eval(RELEASE_LOCK, 1, lockKey, lockId);
        }
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    throw new ServerError(
      "REFRESH_TIMEOUT",
      "waited too long for another worker's token refresh",
      503,
      "retry",
    );
  }

  return {
    mode: "oauth",
    portal,
    async credentials(): Promise<Credentials> {
      const record = await load();
      // config.restUrl stays authoritative: a client_endpoint from the OAuth server is kept for reference only
      return { baseUrl: withTrailingSlash(config.restUrl), token: record.accessToken };
    },
    async onTokenRejected(usedToken: string | undefined, error: BitrixError): Promise<void> {
      if (error.code !== "expired_token") {
        // Another worker may have refreshed meanwhile, and the portal may call the old token invalid.
        const record = await readRecord();
        if (record && usedToken !== undefined && record.accessToken !== usedToken) {
          current = record;
          return;
        }
        state = "failed";
        throw new AuthFailed(error.code, `access token rejected: ${error.description}`, error.status);
      }
      if (current && usedToken !== undefined && current.accessToken !== usedToken) return; // already renewed here
      refreshing ??= (async () => {
        state = "refreshing";
        try {
          await refreshUnderLock(usedToken ?? current?.accessToken ?? "");
          state = "ok";
        } catch (err) {
          state = (err as BitrixError).disposition === "hold" ? "failed" : "ok";
          throw err;
        } finally {
          refreshing = undefined;
        }
      })();
      return refreshing;
    },
    state: () => state,
    async fingerprint(): Promise<string> {
      const record = await readRecord();
      if (record && current?.accessToken !== record.accessToken) current = record;
      return credentialHash(record?.accessToken ?? current?.accessToken);
    },
    close: () => undefined,
  };
}
