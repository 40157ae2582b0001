import type { CallRecords } from "../../core/records/callRecords.ts";

/**
 * Asterisk's records as one audit run reads them: a failure to read them (PostgreSQL stopped, the
 * network, a timeout) ends the run with an error that says it was the records, not the audit — the
 * report and `/status` show it as it is.
 */

export interface AuditRecords {
  linkedIdsStartedBetween(from: Date, to: Date, limit: number): Promise<string[]>;
  callRecords(linkedId: string): Promise<CallRecords>;
}

export class RecordsUnreadable extends Error {
  constructor(cause: unknown) {
    const why = cause instanceof Error ? cause.message || cause.name : String(cause);
    super(`Asterisk's records (cdr.url) could not be read: ${why}`);
    this.name = "RecordsUnreadable";
  }
}

export function auditRecords(records: AuditRecords): AuditRecords {
  const reading = <T>(read: () => Promise<T>): Promise<T> =>
    read().catch((err: unknown) => {
      throw err instanceof RecordsUnreadable ? err : new RecordsUnreadable(err);
    });
  return {
    linkedIdsStartedBetween: (from, to, limit) =>
      reading(() => records.linkedIdsStartedBetween(from, to, limit)),
    callRecords: (linkedId) => reading(() => records.callRecords(linkedId)),
  };
}
