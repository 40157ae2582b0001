import type { CallEvent } from "../../core/calls/types.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { CallControl } from "./control.ts";
import type { CallWrite, StartOutcome } from "./durableWriter.ts";
import { controlPhase, describeTransition } from "./phase.ts";

export interface SessionWriter {
  start(callId: string, write: CallWrite): Promise<StartOutcome>;
  write(callId: string, write: CallWrite): Promise<void>;
}

type CallStarted = Extract<CallEvent, { type: "callStarted" }>;

/**
 * One call as the app controls it: its control record and the one way to change it. `change` applies
 * a change of the control record together with the CallEvents it caused, durably and in order (see
 * DurableWriter), and logs the transition with the call id. Features never save or record apart.
 */
export class CallSession {
  readonly log: Logger;
  /** Every channel ever indexed to this call by this process (all are forgotten at its end). */
  readonly channelIds = new Set<string>();
  private unsavedChannels: string[] = [];

  constructor(
    readonly ctl: CallControl,
    private readonly writer: SessionWriter,
    logger: Logger,
    private readonly index: (channelId: string, callId: string) => void,
  ) {
    this.log = logger.child({ callId: ctl.callId });
  }

  get callId(): string {
    return this.ctl.callId;
  }

  /** Indexes a channel to this call at once (its next events find the call); stored with the next change. */
  bind(channelId: string): void {
    this.index(channelId, this.callId);
    this.channelIds.add(channelId);
    if (!this.unsavedChannels.includes(channelId)) this.unsavedChannels.push(channelId);
  }

  /** The call's first change; `unreachable` when Redis cannot take it in time (the dialplan gets the call). */
  start(event: CallStarted): Promise<StartOutcome> {
    this.logChange("new", [event.type]);
    return this.writer.start(this.callId, this.takeWrite([event]));
  }

  /** Applies `mutate` to the control record and records `events`, durably, as one step. */
  async change(mutate: ((ctl: CallControl) => void) | undefined, ...events: CallEvent[]): Promise<void> {
    const from = controlPhase(this.ctl);
    mutate?.(this.ctl);
    this.logChange(
      from,
      events.map((e) => e.type),
    );
    await this.writer.write(this.callId, this.takeWrite(events));
  }

  /** Records events that change nothing the app controls. */
  record(...events: CallEvent[]): Promise<void> {
    return this.change(undefined, ...events);
  }

  private takeWrite(events: CallEvent[]): CallWrite {
    this.ctl.rev = (this.ctl.rev ?? 0) + 1;
    const channels = this.unsavedChannels;
    this.unsavedChannels = [];
    return { control: structuredClone(this.ctl), channels, events };
  }

  private logChange(from: ReturnType<typeof controlPhase>, causes: string[]): void {
    const to = controlPhase(this.ctl);
    const line = describeTransition(from, to, causes);
    if (from !== to) this.log.info({ from, to, causes }, line);
    else this.log.debug({ from, to, causes }, line);
  }
}
