import { randomUUID } from "node:crypto";
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "../../core/logging/logger.ts";
import type { BitrixEvent } from "../http/types.ts";
import type { IntakeOutcome } from "./intake.ts";
import type { CrmEventTake } from "./registry.ts";

/** One online event the intake could not take yet, as kept on disk. */
export interface HeldEvent {
  event: BitrixEvent;
  take: CrmEventTake;
}

type Accept = (event: BitrixEvent, take: CrmEventTake) => Promise<IntakeOutcome>;

/** The held events' file next to the app's outbox: `…/itgrix-app-outbox.jsonl` → `…/itgrix-app-outbox.events.jsonl`. */
export function heldEventsFile(outboxFile: string): string {
  return outboxFile.replace(/(\.jsonl)?$/, ".events.jsonl");
}

/**
 * Online Bitrix24 events are never re-sent by the portal (contract §3: no retries), and the handler
 * answers 200 at once. So an event the intake cannot take (Redis away) is kept here — appended to a
 * local file with fsync, so it survives a crash of the app too — and offered again every `retryMs`
 * with the same take (its arrival time and dedupe id) until the intake takes it; the handlers decide
 * what a late event still deserves (a click held too long is finished as failed, not rung). The file
 * is emptied once nothing is held, and replayed at the next start if it is not empty.
 */
export class HeldEvents {
  private fd: number | undefined;
  private held: HeldEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: { path: string; accept: Accept; logger: Logger; retryMs?: number }) {}

  /** Opens the file; what an earlier process left in it is offered again. Returns how many. */
  open(): number {
    mkdirSync(dirname(this.deps.path), { recursive: true });
    this.fd = openSync(this.deps.path, "a+");
    this.held = parseHeld(readFileSync(this.deps.path, "utf8"));
    if (this.held.length) {
      this.deps.logger.warn({ events: this.held.length }, "Bitrix24 events held by an earlier process");
      this.schedule();
    }
    return this.held.length;
  }

  /** The intake's first try of an online event; held when it cannot be taken now. */
  async offer(event: BitrixEvent): Promise<IntakeOutcome> {
    const take = { id: randomUUID(), receivedAt: Date.now() };
    const outcome = await this.deps.accept(event, take);
    if (outcome === "unavailable") this.hold({ event, take });
    return outcome;
  }

  size(): number {
    return this.held.length;
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private hold(entry: HeldEvent): void {
    if (this.fd !== undefined) {
      writeSync(this.fd, JSON.stringify(entry) + "\n");
      fsyncSync(this.fd);
    }
    this.held.push(entry);
    this.deps.logger.warn(
      { event: entry.event.name, held: this.held.length },
      "Bitrix24 event held on disk until Redis takes it",
    );
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.retry().finally(() => {
        if (this.held.length) this.schedule();
      });
    }, this.deps.retryMs ?? 1000);
  }

  /** Offers the held events in arrival order; stops at the first that still cannot be taken. */
  private async retry(): Promise<void> {
    while (this.held.length && !this.stopped) {
      const entry = this.held[0]!;
      const outcome = await this.deps.accept(entry.event, entry.take).catch(() => "unavailable" as const);
      if (outcome === "unavailable") return;
      this.held.shift();
      const waitedSec = Math.round((Date.now() - entry.take.receivedAt) / 1000);
      this.deps.logger.info({ event: entry.event.name, outcome, waitedSec }, "held Bitrix24 event taken");
    }
    if (!this.held.length && this.fd !== undefined) {
      ftruncateSync(this.fd, 0);
      fsyncSync(this.fd);
    }
  }
}

/** The file's JSON lines; a torn last line (a crash mid-write) is skipped. Pure. */
export function parseHeld(text: string): HeldEvent[] {
  const out: HeldEvent[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as HeldEvent;
      if (typeof entry.event?.name === "string" && typeof entry.take?.id === "string") out.push(entry);
    } catch {
      /* a torn write */
    }
  }
  return out;
}
