import type { Redis } from "ioredis";
import type { Config } from "../../core/config/schema.ts";
import type { Logger } from "../../core/logging/logger.ts";
import { rewriteChainFor, type RewriteChain } from "../../core/numbers/index.ts";
import type { CommandGroup, CrmDelivery } from "../delivery/types.ts";

/**
 * The CRM user directory: every ACTIVE Bitrix24 user with an internal number (`UF_PHONE_INNER`) →
 * user id. Extensions are rewritten with `numbers.userRewrite` before the lookup. The map lives in
 * memory and in Redis (shared by every worker, so one refresh serves them all); it is refreshed every
 * `crm.directoryRefreshSec` and when an extension is unknown, at most every `crm.directoryMissRefreshSec`.
 */

export interface DirectorySnapshot {
  /** Unix ms of the fetch. */
  at: number;
  /** UF_PHONE_INNER → user id. */
  users: Record<string, number>;
}

export interface UserDirectoryDeps {
  config: Pick<Config, "crm" | "numbers">;
  delivery: CrmDelivery;
  redis: Redis;
  /** `keys.userDirectory(portal)`. */
  redisKey: string;
  logger: Logger;
  now?: () => number;
}

const PAGE = 50;
/** Pages asked in one group (one batch): 250 users per round trip. */
const PAGES_PER_GROUP = 5;

export class UserDirectoryCache {
  private users = new Map<string, number>();
  private loadedAt = 0;
  private lastMissRefresh = 0;
  private refreshing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly rewrite: RewriteChain;
  private readonly now: () => number;

  constructor(private readonly deps: UserDirectoryDeps) {
    this.rewrite = rewriteChainFor(deps.config.numbers.userRewrite);
    this.now = deps.now ?? Date.now;
  }

  userIdByExtension(extension: string): number | undefined {
    return this.users.get(this.innerNumberOf(extension));
  }

  /** The connector's own rewrite of an extension to a CRM inner number (`numbers.userRewrite`). */
  innerNumberOf(extension: string): string {
    return this.rewrite.apply(extension.trim());
  }

  /** The user of a CRM inner number (after the normalizeUserNumber hooks). */
  userIdByInnerNumber(innerNumber: string): number | undefined {
    return this.users.get(innerNumber.trim());
  }

  get size(): number {
    return this.users.size;
  }

  /**
   * Adopts the shared snapshot (any age) at once, then refreshes from the portal in the background
   * (a slow portal must not hold up startup; a lookup that misses waits for that refresh) and
   * periodically after that.
   */
  async start(): Promise<void> {
    const shared = await this.readShared().catch(() => undefined);
    if (shared) this.adopt(shared);
    void this.refresh(this.deps.config.crm.directoryRefreshSec);
    this.timer = setInterval(
      () => void this.refresh(this.deps.config.crm.directoryRefreshSec),
      this.refreshMs(),
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Refreshes when one of the extensions is unknown, at most once per `crm.directoryMissRefreshSec`. */
  async refreshOnMiss(extensions: string[]): Promise<void> {
    if (extensions.every((ext) => this.userIdByExtension(ext) !== undefined)) return;
    const minGap = this.deps.config.crm.directoryMissRefreshSec * 1000;
    if (this.refreshing) return this.refreshing;
    if (this.now() - this.lastMissRefresh < minGap) return;
    this.lastMissRefresh = this.now();
    await this.refresh(this.deps.config.crm.directoryMissRefreshSec);
  }

  /**
   * Adopts the snapshot in Redis if it is younger than `maxAgeSec` (another worker just fetched it),
   * else fetches from the portal. Concurrent calls share one refresh; a failure keeps the old map.
   */
  refresh(maxAgeSec: number): Promise<void> {
    this.refreshing ??= this.doRefresh(maxAgeSec).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(maxAgeSec: number): Promise<void> {
    try {
      const shared = await this.readShared();
      if (shared && this.now() - shared.at < maxAgeSec * 1000) {
        if (shared.at > this.loadedAt) this.adopt(shared);
        return;
      }
      const snapshot: DirectorySnapshot = { at: this.now(), users: await this.fetchUsers() };
      this.adopt(snapshot);
      await this.deps.redis.set(this.deps.redisKey, JSON.stringify(snapshot));
      this.deps.logger.info({ users: this.users.size }, "user directory refreshed");
    } catch (err) {
      this.deps.logger.warn(
        { err: (err as Error).message },
        "user directory refresh failed; keeping the old one",
      );
    }
  }

  private adopt(snapshot: DirectorySnapshot): void {
    this.users = new Map(Object.entries(snapshot.users));
    this.loadedAt = snapshot.at;
  }

  private async readShared(): Promise<DirectorySnapshot | undefined> {
    const json = await this.deps.redis.get(this.deps.redisKey);
    if (!json) return undefined;
    try {
      const snapshot = JSON.parse(json) as Partial<Record<keyof DirectorySnapshot, unknown>> | null;
      const users = snapshot?.users;
      const valid =
        typeof snapshot?.at === "number" &&
        typeof users === "object" &&
        users !== null &&
        Object.values(users).every((id) => typeof id === "number");
      return valid ? (snapshot as DirectorySnapshot) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every active user, `PAGES_PER_GROUP` pages of `user.get` per batch, until a page comes back short. */
  private async fetchUsers(): Promise<Record<string, number>> {
    const users: Record<string, number> = {};
    for (let start = 0; ; start += PAGE * PAGES_PER_GROUP) {
      const group = userPagesGroup(start);
      const results = await this.deps.delivery.send(group);
      let short = false;
      for (const result of results) {
        if (!result.ok) throw new Error(`user.get: ${result.error.code}: ${result.error.description}`);
        const page = Array.isArray(result.result) ? (result.result as BitrixUser[]) : [];
        addUsers(users, page);
        if (page.length < PAGE) short = true;
      }
      if (short || results.length === 0) return users;
    }
  }

  private refreshMs(): number {
    return this.deps.config.crm.directoryRefreshSec * 1000;
  }
}

interface BitrixUser {
  ID?: unknown;
  ACTIVE?: unknown;
  UF_PHONE_INNER?: unknown;
}

export function userPagesGroup(start: number): CommandGroup {
  const commands = Array.from({ length: PAGES_PER_GROUP }, (_, i) => ({
    method: "user.get",
    params: { FILTER: { ACTIVE: true }, start: start + i * PAGE },
  }));
  return { callId: "directory:user.get", lane: "bulk", commands };
}

/** Active users with an internal number; the first user keeps a number two users share. */
export function addUsers(into: Record<string, number>, page: BitrixUser[]): void {
  for (const user of page) {
    const id = Number(user.ID);
    const inner =
      user.UF_PHONE_INNER === null || user.UF_PHONE_INNER === undefined ? "" : String(user.UF_PHONE_INNER);
    const active =
      user.ACTIVE === undefined || user.ACTIVE === true || user.ACTIVE === "Y" || user.ACTIVE === "1";
    if (!Number.isInteger(id) || id <= 0 || inner.trim() === "" || !active) continue;
    into[inner.trim()] ??= id;
  }
}
