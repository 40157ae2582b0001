import type { ParsedSeed } from "../seed.ts";
import type {
  ActivityRecord,
  CallRecord,
  CrmKind,
  CrmPhone,
  CrmRecord,
  EventBinding,
  ExternalLine,
  FiredEvent,
  OfflineEvent,
  RequestLogEntry,
  StatisticRecord,
  UserRecord,
} from "./types.ts";

function toCrmRecord(raw: Record<string, unknown>, nextPhoneId: () => number): CrmRecord {
  const phones = (raw.PHONE as unknown[] | undefined) ?? [];
  const PHONE: CrmPhone[] = phones.map((p) => ({
    ID: nextPhoneId(),
    VALUE_TYPE: "WORK",
    VALUE: String(p),
    TYPE_ID: "PHONE",
  }));
  return { ...(raw as CrmRecord), PHONE };
}

/** Everything the portal stores. Auth tokens live in auth/tokens.ts; bindings and lines survive reset. */
export class PortalState {
  users = new Map<number, UserRecord>();
  crm: Record<CrmKind, Map<number, CrmRecord>> = { CONTACT: new Map(), COMPANY: new Map(), LEAD: new Map() };
  calls = new Map<string, CallRecord>();
  /** Re-registration index: match key → CALL_ID. */
  callKeys = new Map<string, string>();
  statistics = new Map<string, StatisticRecord>();
  activities = new Map<number, ActivityRecord>();
  notifications: Record<string, unknown>[] = [];
  messages: Record<string, unknown>[] = [];
  events: FiredEvent[] = [];
  offlineEvents: OfflineEvent[] = [];
  requests: RequestLogEntry[] = [];
  files = new Map<number, { name: string; size: number }>();
  bindings: EventBinding[] = [];
  lines: ExternalLine[] = [];
  private counters = new Map<string, number>();

  constructor(readonly seed: ParsedSeed) {
    this.loadSeed();
  }

  nextId(kind: string, floor = 1000): number {
    const next = Math.max(this.counters.get(kind) ?? floor, floor) + 1;
    this.counters.set(kind, next);
    return next;
  }

  /** Clears calls, created entities, logs; reloads the seed's entities. Keeps bindings and lines. */
  reset(): void {
    this.calls.clear();
    this.callKeys.clear();
    this.statistics.clear();
    this.activities.clear();
    this.notifications = [];
    this.messages = [];
    this.events = [];
    this.offlineEvents = [];
    this.requests = [];
    this.files.clear();
    const keep = ["line", "binding"];
    for (const key of [...this.counters.keys()]) if (!keep.includes(key)) this.counters.delete(key);
    this.loadSeed();
  }

  private loadSeed(): void {
    this.users.clear();
    for (const user of this.seed.users) this.users.set(user.ID, { ...user } as UserRecord);
    const phoneId = (): number => this.nextId("phone", 0);
    const sources: [CrmKind, Record<string, unknown>[]][] = [
      ["CONTACT", this.seed.contacts],
      ["COMPANY", this.seed.companies],
      ["LEAD", this.seed.leads],
    ];
    for (const [kind, list] of sources) {
      this.crm[kind].clear();
      for (const raw of list) {
        const record = toCrmRecord(raw, phoneId);
        this.crm[kind].set(record.ID, record);
        this.bumpCounter(kind, record.ID);
      }
    }
  }

  private bumpCounter(kind: string, id: number): void {
    if (id >= (this.counters.get(kind) ?? 1000)) this.counters.set(kind, id);
  }

  activeUser(id: number): UserRecord | undefined {
    const user = this.users.get(id);
    return user && user.ACTIVE ? user : undefined;
  }

  activeUserByInner(inner: string): UserRecord | undefined {
    for (const user of this.users.values()) if (user.ACTIVE && user.UF_PHONE_INNER === inner) return user;
    return undefined;
  }
}
