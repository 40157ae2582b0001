import { randomBytes } from "node:crypto";
import type { Clock } from "../clock.ts";
import type { ParsedSeed, SeedApp } from "../seed.ts";

export interface AccessToken {
  token: string;
  appId: string;
  userId: number;
  kind: "oauth" | "offline";
  /** null = never expires (offline tokens). */
  expiresAt: number | null;
}

interface RefreshToken {
  token: string;
  appId: string;
  userId: number;
}

export type RefreshOutcome =
  | { ok: true; app: SeedApp; access: AccessToken; refreshToken: string }
  | { ok: false; status: number; error: string; description: string };

const newToken = (): string => randomBytes(16).toString("hex");

/** OAuth access and refresh tokens of the seed's apps, plus the never-expiring offline tokens. */
export class TokenStore {
  readonly apps = new Map<string, SeedApp>();
  private access = new Map<string, AccessToken>();
  private refresh = new Map<string, RefreshToken>();

  constructor(
    seed: ParsedSeed,
    private readonly clock: Clock,
  ) {
    for (const app of seed.apps) {
      this.apps.set(app.clientId, app);
      const expiresAt = clock.now() + app.accessTokenTtlSec * 1000;
      this.access.set(app.accessToken, {
        token: app.accessToken,
        appId: app.clientId,
        userId: app.userId,
        kind: "oauth",
        expiresAt,
      });
      this.refresh.set(app.refreshToken, {
        token: app.refreshToken,
        appId: app.clientId,
        userId: app.userId,
      });
    }
    const offlineApp = seed.apps[0]?.clientId ?? "offline";
    for (const t of seed.offlineTokens) {
      this.access.set(t.token, {
        token: t.token,
        appId: offlineApp,
        userId: t.userId,
        kind: "offline",
        expiresAt: null,
      });
    }
  }

  /** A never-expiring offline token acting in the first app's context (issued by the admin). */
  addOffline(token: string, userId: number): void {
    const appId = this.apps.keys().next().value ?? "offline";
    this.access.set(token, { token, appId, userId, kind: "offline", expiresAt: null });
  }

  lookup(token: string): AccessToken | undefined {
    return this.access.get(token);
  }

  isExpired(token: AccessToken): boolean {
    return token.expiresAt !== null && token.expiresAt <= this.clock.now();
  }

  mintAccess(appId: string, userId: number): AccessToken {
    const app = this.apps.get(appId);
    const ttl = (app?.accessTokenTtlSec ?? 3600) * 1000;
    const access: AccessToken = {
      token: newToken(),
      appId,
      userId,
      kind: "oauth",
      expiresAt: this.clock.now() + ttl,
    };
    this.access.set(access.token, access);
    return access;
  }

  /** The fault `expireTokens`: every OAuth access token issued so far is expired from now on. */
  expireAll(): void {
    const now = this.clock.now();
    for (const token of this.access.values())
      if (token.kind === "oauth") token.expiresAt = Math.min(token.expiresAt ?? now, now);
  }

  grantRefresh(clientId: string, clientSecret: string, refreshToken: string): RefreshOutcome {
    const app = this.apps.get(clientId);
    if (!app || app.clientSecret !== clientSecret) {
      return { ok: false, status: 401, error: "invalid_client", description: "Invalid client credentials" };
    }
    const stored = this.refresh.get(refreshToken);
    if (!stored || stored.appId !== clientId) {
      return { ok: false, status: 400, error: "invalid_grant", description: "Invalid grant" };
    }
    this.refresh.delete(refreshToken);
    const access = this.mintAccess(clientId, stored.userId);
    const next: RefreshToken = { token: newToken(), appId: clientId, userId: stored.userId };
    this.refresh.set(next.token, next);
    return { ok: true, app, access, refreshToken: next.token };
  }
}
