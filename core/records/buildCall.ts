import { foldCallEvents } from "../calls/reducer.ts";
import type { CallEvent, CallState } from "../calls/types.ts";
import type { CallRecords, CelRow } from "./callRecords.ts";
import { channelsOf, type ChannelFacts } from "./callChannels.ts";
import { shapeOf } from "./callShape.ts";
import { callEndOf } from "./callEnd.ts";
import { recordingOf } from "./recordingFile.ts";
import { TimelineWalk } from "./timelineWalk.ts";

/**
 * The rebuild: Asterisk's records of one call (the CEL rows of one linkedid, plus its CDR rows) →
 * the same CallEvents the live app records → the same CallState, through the same reducer. Pure: no
 * clock, no I/O; the caller reads the rows (core/records/recordsReader.ts) and decides what to do with
 * the state. It also works for calls that never entered the Stasis application (the dialplan's
 * fallback `Dial()` while the app was down): the call model only needs channels, bridges and hangups.
 *
 * What CEL cannot tell is left out rather than guessed: when a phone started ringing (`ringingAt`),
 * operators the app skipped without dialling (busy, unregistered), the recording's own duration.
 */

export interface RebuildOptions {
  /** The call's id in the call model; the linkedid unless scoped (several servers, next wave). */
  callId?: string;
  /** The Stasis application name (`ari.app`). */
  app: string;
  /** Configured operator extensions (`routing.operators` and group members). */
  operators: ReadonlySet<string>;
  /** `routing.internalPattern`. */
  internalPattern: RegExp;
  /** The line of outbound trunk calls (as the app reports it). */
  outboundLine: string;
  /** The format of the app's bridge recordings (`recording.format`). */
  recordingFormat: string;
  /** Asterisk's recording spool (`recording.spoolDir`), to read a recording path a dialplan put in CDR. */
  spoolDir?: string;
}

export interface RebuiltCall {
  state: CallState;
  events: CallEvent[];
  /** LINKEDID_END seen: Asterisk is done with the call. A call still going on is not rebuilt for the CRM. */
  complete: boolean;
  /** False for calls the dialplan handled without the itgrix application (its fallback while down). */
  enteredStasis: boolean;
}

/** Undefined when the records hold no row of the call. */
export function rebuildCall(records: CallRecords, options: RebuildOptions): RebuiltCall | undefined {
  const built = rebuildCallEvents(records, options);
  if (!built) return undefined;
  return { ...built, state: foldCallEvents(built.events) };
}

export function rebuildCallEvents(
  records: CallRecords,
  options: RebuildOptions,
): Omit<RebuiltCall, "state"> | undefined {
  const rows = [...records.cel].sort(byTimeThenId);
  if (rows.length === 0) return undefined;
  const callId = options.callId ?? records.linkedId;
  const isOperator = (endpoint: string) =>
    options.operators.has(endpoint) || options.internalPattern.test(endpoint);
  const channels = channelsOf(rows, { app: options.app, isOperator });
  const shape = shapeOf(rows, channels, records.linkedId, options);
  if (!shape) return undefined;

  const events: CallEvent[] = [];
  const startedAt = rows[0]!.eventTime;
  events.push({
    type: "callStarted",
    at: startedAt,
    callId,
    direction: shape.direction,
    clientNumber: shape.clientNumber,
    lineNumber: shape.lineNumber,
    ...(shape.originExtension !== undefined ? { originExtension: shape.originExtension } : {}),
    ...(shape.client ? { clientChannelId: shape.client.uniqueId } : {}),
  });
  const walk = new TimelineWalk({
    rows,
    channels,
    shape,
    operators: options.operators,
    emit: (e) => events.push(e),
  });
  if (shape.direction === "outbound") walk.originLegAt(startedAt);
  const recording = recordingOf(rows, records.cdr, { callId, ...options });
  walk.onFirstConversation = (at) => {
    if (recording)
      events.push({ type: "recordingStarted", at, name: recording.name, format: recording.format });
  };
  for (const row of rows) walk.step(row);

  const endedAt = rows[rows.length - 1]!.eventTime;
  events.push({ type: "callEnded", at: endedAt, ...callEndOf(shape, walk.outcome()) });
  if (recording && walk.talked()) {
    events.push({ type: "recordingFinished", at: endedAt, name: recording.name, file: recording.file });
  }
  return {
    events,
    complete: rows.some((r) => r.eventType === "LINKEDID_END"),
    enteredStasis: shape.enteredStasis,
  };
}

function byTimeThenId(a: CelRow, b: CelRow): number {
  return Date.parse(a.eventTime) - Date.parse(b.eventTime) || a.id - b.id;
}

export type { ChannelFacts };
