import { randomBytes } from "node:crypto";
import { z } from "zod";
import { memberId, oauthScope } from "./auth/oauthEndpoint.ts";
import { isoWithOffset } from "./clock.ts";
import { encodeBrackets, type ParamObject } from "./http/brackets.ts";
import { registerCall } from "./methods/telephony/register.ts";
import type { Runtime } from "./runtime.ts";
import type { EventBinding } from "./state/types.ts";

export const fireSchema = z.object({
  event: z.enum(["ONEXTERNALCALLSTART", "ONEXTERNALCALLBACKSTART"]),
  data: z.record(z.string(), z.unknown()).default({}),
  offline: z.boolean().optional(),
});
export type FireInput = z.infer<typeof fireSchema>;

export interface FireResult {
  delivered: number;
  failed: number;
  queued: number;
  CALL_ID?: string;
}

/** ONEXTERNALCALLSTART: the portal registers the call (TYPE 1, for USER_ID) before it tells anyone. */
function callStartData(runtime: Runtime, data: Record<string, unknown>, appId: string | null) {
  const userId = Number(data.USER_ID ?? 0);
  const auth = {
    kind: "oauth" as const,
    userId,
    appId,
    budgetKey: `app:${appId}`,
    credential: `app:${appId}` as const,
  };
  const params = { ...data, TYPE: "1", SHOW: "1" } as ParamObject;
  const registered = registerCall(params, { runtime, auth }).result as Record<string, unknown>;
  const phone = String(data.PHONE_NUMBER ?? "");
  return {
    PHONE_NUMBER: phone,
    PHONE_NUMBER_INTERNATIONAL: phone.startsWith("+") ? phone : `+${phone.replace(/\D/g, "")}`,
    EXTENSION: "",
    USER_ID: String(userId),
    CALL_LIST_ID: "0",
    LINE_NUMBER: "",
    IS_MOBILE: "0",
    ...data,
    CALL_ID: registered.CALL_ID,
    CRM_ENTITY_TYPE: registered.CRM_ENTITY_TYPE ?? data.CRM_ENTITY_TYPE ?? "",
    CRM_ENTITY_ID: registered.CRM_ENTITY_ID ?? data.CRM_ENTITY_ID ?? "",
    CRM_CREATED_LEAD: registered.CRM_CREATED_LEAD ?? "",
    CRM_CREATED_ENTITIES: registered.CRM_CREATED_ENTITIES ?? [],
  };
}

/** ONEXTERNALCALLBACKSTART carries no USER_ID and no CALL_ID: the app registers TYPE 4 itself. */
function callbackData(data: Record<string, unknown>) {
  const { USER_ID: _u, CALL_ID: _c, ...rest } = data;
  return { TEXT: "", VOICE: "", CRM_ENTITY_TYPE: "", CRM_ENTITY_ID: "", LINE_NUMBER: "", ...rest };
}

function authBlock(runtime: Runtime, appId: string, userId: number | null): Record<string, unknown> {
  const app = runtime.tokens.apps.get(appId);
  const base = {
    domain: runtime.state.seed.domain,
    client_endpoint: `${runtime.publicUrl}/rest/`,
    server_endpoint: `${runtime.publicUrl}/rest/`,
    member_id: memberId(runtime),
    application_token: app?.applicationToken ?? "",
  };
  if (!userId) return base;
  const access = runtime.tokens.mintAccess(appId, userId);
  const expires_in = app?.accessTokenTtlSec ?? 3600;
  const expires = Math.floor((access.expiresAt ?? 0) / 1000);
  return {
    access_token: access.token,
    expires,
    expires_in,
    scope: oauthScope,
    ...base,
    status: "L",
    user_id: userId,
  };
}

async function post(runtime: Runtime, binding: EventBinding, index: number, event: string, data: object) {
  const userId = Number((data as Record<string, unknown>).USER_ID ?? 0) || null;
  const body = encodeBrackets({
    event,
    event_handler_id: index + 1,
    data,
    ts: Math.floor(runtime.clock.now() / 1000),
    auth: authBlock(runtime, binding.appId, userId),
  });
  try {
    const response = await fetch(binding.handler, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    return { handler: binding.handler, status: response.status };
  } catch (error) {
    return { handler: binding.handler, status: null, error: String(error) };
  }
}

function enqueue(runtime: Runtime, appId: string, event: string, data: object): void {
  const { state, clock } = runtime;
  state.offlineEvents.push({
    ID: state.nextId("offlineEvent", 0),
    TIMESTAMP_X: isoWithOffset(clock.now()),
    EVENT_NAME: event,
    EVENT_DATA: data as Record<string, unknown>,
    EVENT_ADDITIONAL: { user_id: (data as Record<string, unknown>).USER_ID ?? "" },
    MESSAGE_ID: randomBytes(16).toString("hex"),
    appId,
    processId: null,
  });
}

/** POST /_emulator/events/fire: online handlers get a form POST (no retries); offline ones a queue entry. */
export async function fireEvent(runtime: Runtime, input: FireInput): Promise<FireResult> {
  const bound = runtime.state.bindings.filter((b) => b.event === input.event);
  const appId = bound[0]?.appId ?? runtime.state.seed.apps[0]?.clientId ?? "";
  const data =
    input.event === "ONEXTERNALCALLSTART"
      ? callStartData(runtime, input.data, appId)
      : callbackData(input.data);
  const online = input.offline ? [] : bound.filter((b) => !b.offline);
  const offlineApps = new Set(bound.filter((b) => b.offline).map((b) => b.appId));
  if (input.offline && offlineApps.size === 0) offlineApps.add(appId);
  for (const app of offlineApps) enqueue(runtime, app, input.event, data);
  const deliveries = await Promise.all(
    online.map((b) => post(runtime, b, runtime.state.bindings.indexOf(b), input.event, data)),
  );
  const delivered = deliveries.filter((d) => d.status === 200).length;
  runtime.state.events.push({
    event: input.event,
    at: runtime.clock.now(),
    data,
    deliveries,
    queuedOffline: offlineApps.size,
  });
  const result: FireResult = { delivered, failed: deliveries.length - delivered, queued: offlineApps.size };
  if ("CALL_ID" in data && typeof data.CALL_ID === "string") result.CALL_ID = data.CALL_ID;
  return result;
}
