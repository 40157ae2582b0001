import { legResultFromCause } from "../calls/hangupCauses.ts";
import type { CallEvent, LegPurpose } from "../calls/types.ts";
import type { CelRow } from "./callRecords.ts";
import { extraOf, type ChannelFacts } from "./callChannels.ts";
import type { CallShape } from "./callShape.ts";

/**
 * Second pass of the rebuild: walks the CEL rows in order and emits the CallEvents the live app would
 * have recorded — legs (dialled, answered, ended with their cause), conversations (an operator leg and
 * the client in one bridge), transfers, IVR input. Pure; one walk per call.
 */

export interface WalkDeps {
  rows: readonly CelRow[];
  channels: ReadonlyMap<string, ChannelFacts>;
  shape: CallShape;
  operators: ReadonlySet<string>;
  emit(event: CallEvent): void;
}

/** What the end of the call is derived from (core/records/callEnd.ts). */
export interface WalkOutcome {
  talked: boolean;
  /** The operator leg of the last conversation. */
  lastTalking?: ChannelFacts;
  /** Channels that hung up by themselves (a BYE from that phone), in order. */
  selfHangups: ChannelFacts[];
}

/** A transfer row belongs to the conversation end it is this close to. */
const TRANSFER_WINDOW_MS = 2000;

interface PendingTransfer {
  kind: "blind" | "attended";
  toExtension: string;
}

export class TimelineWalk {
  /** Called once, when the first conversation starts (the app starts its recording then). */
  onFirstConversation?: (at: string) => void;
  private readonly legs = new Set<string>();
  private readonly ended = new Set<string>();
  private readonly bridges = new Map<string, Set<string>>();
  private readonly emittedTransfers = new Set<number>();
  private readonly selfHangups: ChannelFacts[] = [];
  private talking?: ChannelFacts;
  private lastTalking?: ChannelFacts;
  private conversations = 0;
  private clientGone = false;
  private pendingTransfer?: PendingTransfer;
  private ivr = { open: false, done: false, digits: "", lastAt: "", legId: "", extension: "" };

  constructor(private readonly deps: WalkDeps) {}

  /** Outbound: the operator who placed the call is its first leg, up from the start (as the app has it). */
  originLegAt(at: string): void {
    const origin = this.deps.shape.origin;
    this.legs.add(origin.uniqueId);
    this.deps.emit({
      type: "legDialled",
      at,
      legId: origin.uniqueId,
      extension: origin.endpoint,
      purpose: "direct",
    });
    this.deps.emit({ type: "legAnswered", at, legId: origin.uniqueId });
  }

  talked(): boolean {
    return this.conversations > 0;
  }

  outcome(): WalkOutcome {
    return {
      talked: this.talked(),
      ...(this.lastTalking ? { lastTalking: this.lastTalking } : {}),
      selfHangups: this.selfHangups,
    };
  }

  step(row: CelRow): void {
    const ch = this.deps.channels.get(row.uniqueId);
    if (!ch) return;
    const client = this.deps.shape.client;
    if (this.isLeg(ch) && !this.legs.has(ch.uniqueId)) this.dialLeg(ch, row.eventTime);
    switch (row.eventType) {
      case "ANSWER":
        if (ch === client) this.clientAnswered(row.eventTime);
        else if (this.isLeg(ch) && ch !== this.deps.shape.origin)
          this.deps.emit({ type: "legAnswered", at: row.eventTime, legId: ch.uniqueId });
        return;
      case "DTMF":
        if (ch === client) this.ivrDigit(row);
        return;
      case "BRIDGE_ENTER":
      case "BRIDGE_EXIT":
        this.moveInBridge(ch, row);
        return;
      case "BLINDTRANSFER":
      case "ATTENDEDTRANSFER":
        this.transferRow(ch, row);
        return;
      case "HANGUP":
        if (ch.hangup?.bySelf && ch.hangup.at === row.eventTime) this.selfHangups.push(ch);
        if (ch === client) this.clientGone = true;
        if (this.isLeg(ch)) this.legEnded(ch, row.eventTime);
        return;
      case "CHAN_END":
        if (this.isLeg(ch)) this.legEnded(ch, row.eventTime);
        return;
      default:
        return;
    }
  }

  private isLeg(ch: ChannelFacts): boolean {
    return ch.role === "operator" && ch !== this.deps.shape.client;
  }

  private clientAnswered(at: string): void {
    this.deps.emit({ type: "clientAnswered", at });
    // Answered before anybody was dialled: the app's IVR answered the caller.
    if (this.deps.shape.direction === "inbound" && this.legs.size === 0) this.ivr.open = true;
  }

  private ivrDigit(row: CelRow): void {
    if (!this.ivr.open || this.ivr.done) return;
    const digit = String(extraOf(row).digit ?? "");
    if (digit === "#") this.ivr.done = true;
    else if (/^[0-9*]$/.test(digit)) {
      this.ivr.digits += digit;
      this.ivr.lastAt = row.eventTime;
    }
  }

  private dialLeg(ch: ChannelFacts, at: string): void {
    this.legs.add(ch.uniqueId);
    let purpose: LegPurpose =
      this.deps.shape.direction === "internal" && this.legs.size === 1 ? "direct" : "group";
    if (this.ivr.open) {
      this.ivr.open = false;
      const { digits } = this.ivr;
      if (digits !== "") {
        const extension = this.deps.operators.has(digits) ? digits : undefined;
        this.deps.emit({
          type: "ivrInput",
          at: this.ivr.lastAt,
          digits,
          ...(extension ? { extension } : {}),
        });
        if (extension === ch.endpoint) {
          purpose = "ivr";
          this.ivr.legId = ch.uniqueId;
          this.ivr.extension = extension;
        }
      }
    }
    const transfer = this.pendingTransfer;
    if (transfer && (transfer.toExtension === ch.endpoint || !ch.startedHere)) {
      purpose = "transfer";
      this.pendingTransfer = undefined;
    }
    this.deps.emit({ type: "legDialled", at, legId: ch.uniqueId, extension: ch.endpoint, purpose });
    // A leg first seen in a bridge (its linkedid changed there: an attended transfer's target) is up.
    if (!ch.startedHere && ch.answeredAt === undefined)
      this.deps.emit({ type: "legAnswered", at, legId: ch.uniqueId });
  }

  private legEnded(ch: ChannelFacts, at: string): void {
    if (this.ended.has(ch.uniqueId)) return;
    this.ended.add(ch.uniqueId);
    if (this.talking === ch) this.talking = undefined;
    const answered = ch.answeredAt !== undefined || ch === this.deps.shape.origin || !ch.startedHere;
    const cause = ch.hangup?.cause;
    this.deps.emit({
      type: "legEnded",
      at,
      legId: ch.uniqueId,
      ...(cause !== undefined ? { cause } : {}),
      result: answered ? "answered" : legResultFromCause(cause),
    });
    if (this.ivr.legId === ch.uniqueId && !answered && !this.clientGone) {
      this.deps.emit({ type: "ivrMissed", at, extension: this.ivr.extension });
    }
  }

  private moveInBridge(ch: ChannelFacts, row: CelRow): void {
    const bridgeId = String(extraOf(row).bridge_id ?? "");
    if (!bridgeId) return;
    let members = this.bridges.get(bridgeId);
    if (!members) this.bridges.set(bridgeId, (members = new Set()));
    if (row.eventType === "BRIDGE_ENTER") members.add(ch.uniqueId);
    else members.delete(ch.uniqueId);
    this.updateConversation(row.eventTime);
  }

  /** A conversation is an operator leg and the client in one bridge. */
  private updateConversation(at: string): void {
    const client = this.deps.shape.client;
    if (!client) return;
    const together = [...this.bridges.values()].find((m) => m.has(client.uniqueId));
    if (this.talking && !together?.has(this.talking.uniqueId)) this.endConversation(this.talking, at);
    if (this.talking || !together) return;
    const leg = [...together]
      .map((id) => this.deps.channels.get(id))
      .find((c): c is ChannelFacts => !!c && this.isLeg(c) && !this.ended.has(c.uniqueId));
    if (!leg) return;
    this.talking = this.lastTalking = leg;
    this.deps.emit({ type: "conversationStarted", at, legId: leg.uniqueId });
    if (this.conversations++ === 0) this.onFirstConversation?.(at);
  }

  private endConversation(leg: ChannelFacts, at: string): void {
    this.talking = undefined;
    const transfer = this.transferNear(leg, at);
    if (transfer) this.emitTransfer(leg, transfer, at);
    this.deps.emit({
      type: "conversationEnded",
      at,
      legId: leg.uniqueId,
      reason: transfer ? "transferred" : "hangup",
    });
  }

  private transferRow(ch: ChannelFacts, row: CelRow): void {
    if (this.emittedTransfers.has(row.id)) return;
    if (this.talking === ch) return this.endConversation(ch, row.eventTime);
    this.emitTransfer(ch, row, row.eventTime);
  }

  private transferNear(leg: ChannelFacts, at: string): CelRow | undefined {
    const t = Date.parse(at);
    return this.deps.rows.find(
      (r) =>
        r.uniqueId === leg.uniqueId &&
        (r.eventType === "BLINDTRANSFER" || r.eventType === "ATTENDEDTRANSFER") &&
        !this.emittedTransfers.has(r.id) &&
        Math.abs(Date.parse(r.eventTime) - t) <= TRANSFER_WINDOW_MS,
    );
  }

  private emitTransfer(from: ChannelFacts, row: CelRow, at: string): void {
    this.emittedTransfers.add(row.id);
    const kind = row.eventType === "BLINDTRANSFER" ? "blind" : "attended";
    const extra = extraOf(row);
    const toExtension =
      kind === "blind" ? String(extra.extension ?? "") : (this.attendedTarget(from, row)?.endpoint ?? "");
    this.pendingTransfer = { kind, toExtension };
    this.deps.emit({ type: "transferred", at, kind, fromExtension: from.endpoint, toExtension });
  }

  /** An attended transfer's target: the next operator who enters the transferring leg's bridge. */
  private attendedTarget(from: ChannelFacts, row: CelRow): ChannelFacts | undefined {
    const bridge = String(extraOf(row).bridge1_id ?? "");
    const after = this.deps.rows.filter(
      (r) => r.id !== row.id && Date.parse(r.eventTime) >= Date.parse(row.eventTime),
    );
    for (const r of after) {
      if (r.eventType !== "BRIDGE_ENTER" || r.uniqueId === from.uniqueId) continue;
      const ch = this.deps.channels.get(r.uniqueId);
      if (ch && this.isLeg(ch) && (!bridge || extraOf(r).bridge_id === bridge)) return ch;
    }
    return undefined;
  }
}
