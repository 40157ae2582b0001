import type { ServerResponse } from "node:http";
import type { RestError } from "../errors.ts";
import type { AnswerFault } from "../faults.ts";
import { sendHtml, sendJson } from "../http/reply.ts";
import type { OperatingFigures } from "../limits/operatingTime.ts";
import type { Runtime } from "../runtime.ts";
import type { RequestLogEntry } from "../state/types.ts";
import { timeBlock } from "./timeBlock.ts";

/** One REST exchange: its log entry, start time and the way it answers (always with a `time` block). */
export class Exchange {
  readonly startMs: number;
  private readonly startHr = performance.now();
  /** Set for a request whose answer is to be lost after it ran (the `afterRun` fault). */
  answerFault: AnswerFault | null = null;

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
    if (this.loseAnswer()) return;
    sendJson(this.res, 200, { ...body, time: this.time(figures) });
  }

  failure(error: RestError, figures: OperatingFigures | null = null): void {
    this.finishEntry(error.status, error.code);
    if (this.loseAnswer()) return;
    sendJson(this.res, error.status, {
      error: error.code,
      error_description: error.description,
      time: this.time(figures),
    });
  }

  /** An answer refused before anything ran, as a proxy or nginx sends it (HTML, not the portal's JSON). */
  refusedPage(status: number, title: string, code: string, close = false): void {
    this.finishEntry(status, code);
    sendHtml(this.res, status, title, close);
  }

  /** The request ran; its answer is replaced as the fault says (the log keeps what really happened). */
  private loseAnswer(): boolean {
    const fault = this.answerFault;
    if (fault === null) return false;
    this.entry.answerLost = fault;
    if (fault === "drop") this.res.socket?.destroy();
    else if (fault === "hang") {
      this.runtime.hung.add(this.res);
      this.res.on("close", () => this.runtime.hung.delete(this.res));
    } else if (fault === "502") sendHtml(this.res, 502, "502 Bad Gateway");
    else sendHtml(this.res, 200, "Portal maintenance");
    return true;
  }

  /** For answers that never come (hang) or connections dropped on purpose. */
  unanswered(reason: string): void {
    this.finishEntry(0, reason);
  }
}
