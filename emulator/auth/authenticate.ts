import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { RestError } from "../errors.ts";
import type { ParamObject } from "../http/brackets.ts";
import type { PortalState } from "../state/portal.ts";
import type { AuthKind } from "../state/types.ts";
import type { TokenStore } from "./tokens.ts";

export interface AuthContext {
  kind: AuthKind;
  userId: number;
  /** The app's client_id; null for webhooks (REST_APP_ID is null there too). */
  appId: string | null;
  /** Key of the operating-time budget: per app or per webhook. */
  budgetKey: string;
}

export type Credentials =
  { kind: "webhook"; userId: string; secret: string } | { kind: "token"; token: string | null };

const invalidCredentials = (): RestError =>
  new RestError(401, "INVALID_CREDENTIALS", "Invalid request credentials");

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The token of an app call: `auth` in body or query, `access_token`, or `Authorization: Bearer`. */
export function tokenFrom(
  params: ParamObject,
  query: ParamObject,
  headers: IncomingHttpHeaders,
): string | null {
  for (const source of [params.auth, query.auth, params.access_token, query.access_token]) {
    if (typeof source === "string" && source !== "") return source;
  }
  const header = headers.authorization;
  const match = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
  return match?.[1]?.trim() ?? null;
}

function authenticateWebhook(userId: string, secret: string, state: PortalState): AuthContext {
  const hook = state.seed.webhooks.find((h) => String(h.userId) === userId && sameSecret(h.secret, secret));
  if (!hook || !state.activeUser(hook.userId)) throw invalidCredentials();
  return {
    kind: "webhook",
    userId: hook.userId,
    appId: null,
    budgetKey: `webhook:${hook.userId}:${hook.secret}`,
  };
}

export function authenticate(credentials: Credentials, state: PortalState, tokens: TokenStore): AuthContext {
  if (credentials.kind === "webhook")
    return authenticateWebhook(credentials.userId, credentials.secret, state);
  if (credentials.token === null) throw new RestError(401, "NO_AUTH_FOUND", "Wrong authorization data");
  const token = tokens.lookup(credentials.token);
  if (!token) throw new RestError(401, "invalid_token", "The access token provided is invalid");
  if (tokens.isExpired(token))
    throw new RestError(401, "expired_token", "The access token provided has expired");
  return { kind: token.kind, userId: token.userId, appId: token.appId, budgetKey: `app:${token.appId}` };
}
