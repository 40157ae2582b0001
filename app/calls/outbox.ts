import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { CallEvent } from "../../core/calls/types.ts";
import type { CallControl } from "./control.ts";

/** One write of a call that Redis did not confirm in time, as kept on disk until it does. */
export interface OutboxRecord {
  callId: string;
  control?: CallControl;
  channels?: string[];
  events: CallEvent[];
  /** The state version each event produces (absent when the call's stored version was unknown). */
  versions?: number[];
}

/**
 * The app's local write-ahead file for Redis outages: a write of a live call that Redis does not
 * confirm within the routing budget is appended here (fsync) before the call goes on, so it survives
 * a crash of the app too; the file is emptied once Redis has confirmed everything in it, and replayed
 * in order at the next start if it is not empty. JSON lines; a torn last line (a crash mid-write) is
 * skipped.
 */
export class Outbox {
  private fd: number | undefined;

  constructor(readonly path: string) {}

  /** Opens the file for appending and returns what an earlier process left in it. */
  open(): OutboxRecord[] {
    mkdirSync(dirname(this.path), { recursive: true });
    this.fd = openSync(this.path, "a+");
    return parseOutbox(readFileSync(this.path, "utf8"));
  }

  append(record: OutboxRecord): void {
    if (this.fd === undefined) throw new Error("the outbox is not open");
    writeSync(this.fd, JSON.stringify(record) + "\n");
    fsyncSync(this.fd);
  }

  clear(): void {
    if (this.fd === undefined) return;
    ftruncateSync(this.fd, 0);
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Parses the outbox's JSON lines; lines that are not a record (a torn write) are skipped. Pure. */
export function parseOutbox(text: string): OutboxRecord[] {
  const out: OutboxRecord[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const record = JSON.parse(line) as OutboxRecord;
      if (typeof record.callId === "string" && Array.isArray(record.events)) out.push(record);
    } catch {
      /* torn write of a crash: it was never acknowledged, so nothing acted on it */
    }
  }
  return out;
}
