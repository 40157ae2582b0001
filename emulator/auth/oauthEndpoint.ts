import type { IncomingMessage, ServerResponse } from "node:http";
import { sleep } from "../clock.ts";
import { parseBracketQuery } from "../http/brackets.ts";
import { parseRestBody, readBody } from "../http/body.ts";
import { sendJson } from "../http/reply.ts";
import type { Runtime } from "../runtime.ts";
import type { RefreshOutcome } from "./tokens.ts";

const scope = "crm,telephony,user,im,call";

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  sendJson(res, status, { error, error_description: description });
}

/**
 * GET (or POST) /oauth/token/?grant_type=refresh_token&client_id&client_secret&refresh_token — the
 * emulator plays oauth.bitrix.info too. The old refresh token stops working at once.
 */
export async function handleOAuthToken(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  query: string,
) {
  const body = await readBody(req);
  const params = { ...parseBracketQuery(query), ...parseRestBody(body, req.headers["content-type"]) };
  const entry = { method: "oauth.token", at: runtime.clock.now(), status: 0, auth: "oauth" as const };
  runtime.state.requests.push(entry);
  if (runtime.faults.inOutage()) {
    entry.status = 503;
    return oauthError(res, 503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable (emulated outage)");
  }
  await sleep(runtime.faults.latencyMs);
  const text = (key: string): string => (typeof params[key] === "string" ? (params[key] as string) : "");
  if (text("grant_type") !== "refresh_token" || !text("client_id") || !text("refresh_token")) {
    entry.status = 400;
    return oauthError(
      res,
      400,
      "invalid_request",
      "grant_type=refresh_token, client_id and refresh_token required",
    );
  }
  const outcome = runtime.credentials.isRevoked(`app:${text("client_id")}`)
    ? ({ ok: false, status: 400, error: "invalid_grant", description: "Invalid grant" } as const)
    : runtime.tokens.grantRefresh(text("client_id"), text("client_secret"), text("refresh_token"));
  entry.status = outcome.ok ? 200 : outcome.status;
  if (!outcome.ok) return oauthError(res, outcome.status, outcome.error, outcome.description);
  sendJson(res, 200, tokenResponse(runtime, outcome));
}

function tokenResponse(runtime: Runtime, outcome: Extract<RefreshOutcome, { ok: true }>) {
  const { access } = outcome;
  return {
    access_token: access.token,
    client_endpoint: `${runtime.publicUrl}/rest/`,
    domain: "oauth.bitrix.info",
    expires: Math.floor((access.expiresAt ?? 0) / 1000),
    expires_in: outcome.app.accessTokenTtlSec,
    member_id: memberId(runtime),
    refresh_token: outcome.refreshToken,
    scope,
    server_endpoint: `${runtime.publicUrl}/rest/`,
    status: "L",
    user_id: access.userId,
  };
}

export function memberId(runtime: Runtime): string {
  return Buffer.from(runtime.state.seed.domain).toString("hex").slice(0, 32).padEnd(32, "0");
}

export { scope as oauthScope };
