import type { CallEvent, ClientResult, LegResult } from "../core/calls/types.ts";
import { clientNumberFor } from "../core/mix/seededMix.ts";

/** The benchmark's call centre: operators 101..120 (CRM users), Support 301..303 (not users). */
export const OPERATORS = Array.from({ length: 20 }, (_, i) => String(101 + i));
/** Support extensions: Asterisk phones that are not Bitrix24 users. */
export const SUPPORT = ["301", "302", "303"];
export const LINE_NUMBER = "+74951112233";

/** Builds one call's events; times are seconds after the call's start. */
export class CallScript {
  readonly events: CallEvent[] = [];
  private legs = 0;
  private talkStartSec: number | undefined;
  private endSec = 0;

  constructor(
    readonly callId: string,
    private readonly startMs: number,
    readonly random: () => number,
  ) {}

  at(sec: number): string {
    return new Date(this.startMs + Math.round(sec * 1000)).toISOString();
  }

  between(min: number, max: number): number {
    return Math.round((min + this.random() * (max - min)) * 100) / 100;
  }

  /** `count` distinct operators, none of `exclude`. */
  operators(count: number, exclude: string[] = []): string[] {
    const pool = OPERATORS.filter((e) => !exclude.includes(e));
    const picked: string[] = [];
    while (picked.length < count) picked.push(pool.splice(Math.floor(this.random() * pool.length), 1)[0]!);
    return picked;
  }

  clientNumber(): string {
    return clientNumberFor(Number(this.callId.split(".")[1] ?? 0));
  }

  inbound(): void {
    const clientNumber = this.clientNumber();
    this.push({
      type: "callStarted",
      at: this.at(0),
      callId: this.callId,
      direction: "inbound",
      clientNumber,
      lineNumber: LINE_NUMBER,
      clientChannelId: `${this.callId}-client`,
    });
  }

  outbound(origin: string): string {
    const clientNumber = this.clientNumber();
    this.push({
      type: "callStarted",
      at: this.at(0),
      callId: this.callId,
      direction: "outbound",
      clientNumber,
      lineNumber: LINE_NUMBER,
      originExtension: origin,
      clientChannelId: `${this.callId}-client`,
    });
    const legId = this.dial(0, origin, "direct");
    this.push({ type: "legAnswered", at: this.at(0), legId });
    return legId;
  }

  dial(sec: number, extension: string, purpose: "group" | "transfer" | "direct" = "group"): string {
    const legId = `${this.callId}-leg${++this.legs}`;
    this.push({ type: "legDialled", at: this.at(sec), legId, extension, purpose });
    return legId;
  }

  ring(sec: number, legId: string): void {
    this.push({ type: "legRinging", at: this.at(sec), legId });
  }

  /** The leg answers and the client talks with it. */
  talk(sec: number, legId: string): void {
    this.push({ type: "legAnswered", at: this.at(sec), legId });
    this.converse(sec, legId);
  }

  /** The client talks with an already answered leg. */
  converse(sec: number, legId: string): void {
    this.push({ type: "conversationStarted", at: this.at(sec), legId });
    this.talkStartSec ??= sec;
  }

  clientAnswered(sec: number): void {
    this.push({ type: "clientAnswered", at: this.at(sec) });
  }

  endLeg(sec: number, legId: string, result: LegResult): void {
    this.push({ type: "legEnded", at: this.at(sec), legId, result });
  }

  skip(sec: number, extension: string): void {
    this.push({ type: "legSkipped", at: this.at(sec), extension, purpose: "group", result: "busy" });
  }

  transfer(sec: number, fromLeg: string, from: string, to: string): void {
    this.push({ type: "transferred", at: this.at(sec), kind: "blind", fromExtension: from, toExtension: to });
    this.push({ type: "conversationEnded", at: this.at(sec), legId: fromLeg, reason: "transferred" });
    this.endLeg(sec + 0.05, fromLeg, "answered");
  }

  hangup(sec: number, hangupBy: "client" | "operator" | "system", clientResult?: ClientResult): void {
    this.endSec = sec;
    this.push({ type: "callEnded", at: this.at(sec), hangupBy, ...(clientResult ? { clientResult } : {}) });
  }

  /** A mixed recording of the talk, finished shortly after the call, for a share of talked calls. */
  finishRecording(share: number): string | undefined {
    if (this.talkStartSec === undefined || this.random() >= share) return undefined;
    const name = `itgrix/${this.callId}`;
    const file = `${name}.wav`;
    const durationSec = Math.round(this.endSec - this.talkStartSec);
    this.push({ type: "recordingStarted", at: this.at(this.talkStartSec + 0.05), name, format: "wav" });
    this.push({ type: "recordingFinished", at: this.at(this.endSec + 0.3), name, file, durationSec });
    return file;
  }

  private push(event: CallEvent): void {
    this.events.push(event);
  }
}
