import type { ServerResponse } from "node:http";
import type { RestError } from "../errors.ts";
import { sendJson } from "../http/reply.ts";
import type { OperatingFigures } from "../limits/operatingTime.ts";
import type { Runtime } from "../runtime.ts";
import type { RequestLogEntry } from "../state/types.ts";
import { timeBlock } from "./timeBlock.ts";

/** One REST exchange: its log entry, start time and the way it answers (always with a `time` block). */
export class Exchange {
  readonly startMs: number;
  private readonly startHr = performance.now();

  constructor(
    readonly runtime: Runtime,
    readonly res: ServerResponse,
    readonly entry: RequestLogEntry,
  ) {
    this.startMs = runtime.clock.now();
  }

  private time(figures: OperatingFigures | null) {
    const finishMs = this.runtime.clock.now();
    const idle = this.runtime.operating.figures("");
    return timeBlock(this.startMs, finishMs, performance.now() - this.startHr, figures ?? idle);
  }

  private finishEntry(status: number, error?: string): void {
    this.entry.status = status;
    if (error) this.entry.error = error;
    this.entry.durationMs = Math.round(performance.now() - this.startHr);
  }

  success(body: Record<string, unknown>, figures: OperatingFigures | null): void {
    this.finishEntry(200);
    sendJson(this.res, 200, { ...body, time: this.time(figures) });
  }

  failure(error: RestError, figures: OperatingFigures | null = null): void {
    this.finishEntry(error.status, error.code);
    sendJson(this.res, error.status, {
      error: error.code,
      error_description: error.description,
      time: this.time(figures),
    });
  }

  /** For answers that never come (hang) or connections dropped on purpose. */
  unanswered(reason: string): void {
    this.finishEntry(0, reason);
  }
}
