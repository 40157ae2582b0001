/**
 * Hand-built call timelines for the worker tests, folded with the real reducer. Times are seconds after
 * T0; a leg's id is `leg-<extension>`. The directory maps extensions 101..120 to users 2..21, like the
 * emulator's default seed.
 */
import { foldCallEvents } from "../../../core/calls/reducer.ts";
import type { CallEvent, CallState, Direction } from "../../../core/calls/types.ts";
import { parseConfig } from "../../../core/config/loadConfig.ts";
import type { Config } from "../../../core/config/schema.ts";

export const T0 = Date.parse("2025-03-03T09:00:00.000Z");
export const at = (sec: number): string => new Date(T0 + Math.round(sec * 1000)).toISOString();
const leg = (ext: string): string => `leg-${ext}`;

export const directory = {
  userIdByExtension(ext: string): number | undefined {
    const n = Number(ext);
    return Number.isInteger(n) && n >= 101 && n <= 120 ? n - 99 : undefined;
  },
};

export function config(overrides: Record<string, unknown> = {}): Config {
  return parseConfig(overrides);
}

export class Timeline {
  readonly events: CallEvent[] = [];

  constructor(
    readonly callId = "1741000000.42",
    direction: Direction = "inbound",
    originExtension?: string,
  ) {
    this.events.push({
      type: "callStarted",
      at: at(0),
      callId,
      direction,
      clientNumber: direction === "internal" ? "102" : "84951234567",
      lineNumber: "74950000000",
      ...(originExtension ? { originExtension } : {}),
    });
  }

  dial(sec: number, ...exts: string[]): this {
    for (const extension of exts) {
      this.events.push({
        type: "legDialled",
        at: at(sec),
        legId: leg(extension),
        extension,
        purpose: "group",
      });
      this.events.push({ type: "legRinging", at: at(sec), legId: leg(extension) });
    }
    return this;
  }

  answer(sec: number, ext: string): this {
    this.events.push({ type: "legAnswered", at: at(sec), legId: leg(ext) });
    this.events.push({ type: "conversationStarted", at: at(sec), legId: leg(ext) });
    return this;
  }

  endLeg(sec: number, ext: string, result: "answeredElsewhere" | "noanswer" | "answered" = "noanswer"): this {
    this.events.push({ type: "legEnded", at: at(sec), legId: leg(ext), result });
    return this;
  }

  ivr(sec: number, digits: string): this {
    this.events.push({ type: "ivrInput", at: at(sec), digits });
    return this;
  }

  recording(sec: number, file?: string): this {
    this.events.push({ type: "recordingStarted", at: at(sec), name: "rec", format: "wav" });
    if (file) this.events.push({ type: "recordingFinished", at: at(sec + 1), name: "rec", file });
    return this;
  }

  end(sec: number, extra: Partial<Extract<CallEvent, { type: "callEnded" }>> = {}): this {
    this.events.push({ type: "callEnded", at: at(sec), ...extra });
    return this;
  }

  state(): CallState {
    return foldCallEvents(this.events);
  }
}
