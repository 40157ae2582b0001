import type { Redis } from "ioredis";
import type { RedisKeys } from "../redis/keys.ts";
import { summariseReport, type AuditReport, type AuditSummary } from "./auditReport.ts";

/**
 * Audit reports in Redis: each one by id (kept `ttlSec`) and the latest one (kept until the next),
 * with the latest one's summary beside it — `/status` reads that, never the whole report (which can
 * list thousands of calls). Written by the workers' audit while it runs and when it ends; read by
 * `/audit/*` and `/status`.
 */
export class AuditReports {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ttlSec = 30 * 24 * 3600,
  ) {}

  async save(report: AuditReport): Promise<void> {
    const json = JSON.stringify(report);
    await this.redis
      .multi()
      .set(this.keys.auditReport(report.id), json, "EX", this.ttlSec)
      .set(this.keys.auditLatest, json)
      .set(this.keys.auditLatestSummary, JSON.stringify(summariseReport(report)))
      .exec();
  }

  async get(id: string): Promise<AuditReport | undefined> {
    return parse(await this.redis.get(this.keys.auditReport(id)));
  }

  async latest(): Promise<AuditReport | undefined> {
    return parse(await this.redis.get(this.keys.auditLatest));
  }

  async latestSummary(): Promise<AuditSummary | null> {
    const json = await this.redis.get(this.keys.auditLatestSummary);
    return json ? (JSON.parse(json) as AuditSummary) : null;
  }
}

function parse(json: string | null): AuditReport | undefined {
  return json ? (JSON.parse(json) as AuditReport) : undefined;
}
