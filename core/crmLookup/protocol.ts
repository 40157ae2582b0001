/**
 * The CRM lookup behind manager-first routing, between the app (which never talks to Bitrix24) and
 * the workers (which do). The app pushes a request on a Redis list and waits for the answer on a
 * pub/sub channel — at most its short time limit; the workers answer through the delivery pipeline
 * (interactive lane) and cache the answer per number. A request past its deadline is dropped unasked:
 * its caller already rings the group.
 */

export interface LookupRequest {
  id: string;
  /** The caller's number as the CRM gets it (normalised). */
  number: string;
  /** Epoch ms after which nobody waits for the answer. */
  deadline: number;
}

/** What the CRM says about a number's responsible manager. */
export interface ManagerLookup {
  /** A CRM entity (contact, company, lead) with a responsible user was found. */
  found: boolean;
  userId?: number;
  /** The manager's internal number in the CRM (`USER_PHONE_INNER`), before any rewrite. */
  inner?: string;
  /** Bitrix24 TIMEMAN_STATUS: OPENED, CLOSED, PAUSED, EXPIRED, UNAVAILABLE, NOT_INSTALLED. */
  workStatus?: string;
  entityType?: string;
  entityId?: number;
}

export interface LookupReply {
  id: string;
  number: string;
  result?: ManagerLookup;
  /** The portal refused or could not be asked; the caller rings the group. */
  error?: string;
}

/** How a lookup went: an answer (from the cache or a worker), or why the caller goes on without one. */
export type LookupOutcome =
  | { kind: "answer"; lookup: ManagerLookup; source: "cache" | "worker"; ms: number }
  | { kind: "timeout"; ms: number }
  | { kind: "error"; error: string; ms: number };

/** The app's port to the lookup (app/routing/crmLookupClient.ts). */
export interface CrmLookups {
  /** Resolves within `timeoutMs` whatever happens. */
  lookup(number: string, timeoutMs: number): Promise<LookupOutcome>;
  close(): void;
}

/** The longest the request list may grow while no worker answers (old requests are dropped). */
export const LOOKUP_QUEUE_MAX = 1000;

export function parseLookupRequest(raw: string): LookupRequest | undefined {
  try {
    const r = JSON.parse(raw) as Partial<LookupRequest>;
    if (typeof r.id !== "string" || typeof r.number !== "string" || typeof r.deadline !== "number") {
      return undefined;
    }
    return { id: r.id, number: r.number, deadline: r.deadline };
  } catch {
    return undefined;
  }
}

export function parseLookupReply(raw: string): LookupReply | undefined {
  try {
    const r = JSON.parse(raw) as Partial<LookupReply>;
    return typeof r.id === "string" && typeof r.number === "string" ? (r as LookupReply) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The manager of the first entity the CRM matched that has a responsible user. Pure: turns the
 * result of `telephony.externalcall.searchCrmEntities` (contract §2) into a `ManagerLookup`.
 */
export function managerFromSearch(result: unknown): ManagerLookup {
  if (!Array.isArray(result)) return { found: false };
  for (const item of result as unknown[]) {
    if (typeof item !== "object" || item === null) continue;
    const e = item as Record<string, unknown>;
    const userId = Number(e.ASSIGNED_BY_ID);
    if (!Number.isInteger(userId) || userId <= 0) continue;
    const by = typeof e.ASSIGNED_BY === "object" && e.ASSIGNED_BY !== null ? e.ASSIGNED_BY : {};
    const { USER_PHONE_INNER: inner, TIMEMAN_STATUS: work } = by as Record<string, unknown>;
    const out: ManagerLookup = { found: true, userId };
    if (typeof inner === "string" && inner.trim() !== "") out.inner = inner.trim();
    if (typeof work === "string" && work !== "") out.workStatus = work;
    if (typeof e.CRM_ENTITY_TYPE === "string") out.entityType = e.CRM_ENTITY_TYPE;
    const entityId = Number(e.CRM_ENTITY_ID);
    if (Number.isInteger(entityId)) out.entityId = entityId;
    return out;
  }
  return { found: false };
}
