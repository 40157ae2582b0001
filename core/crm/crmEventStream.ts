/**
 * The hand-over of Bitrix24 events from the workers' offline poller (`event.offline.get`) to the app:
 * one Redis stream entry per event, field `event` = this JSON. The app reads the stream with a
 * consumer group and acknowledges an entry only once the event was taken (deduplicated and handed to
 * its handler), so an app that dies in between reads it again after its restart.
 */
export interface StreamedCrmEvent {
  /** Event name in upper case (`ONEXTERNALCALLSTART`). */
  name: string;
  /** The `data` of the event (EVENT_DATA of the offline queue entry). */
  data: Record<string, unknown>;
  /** Where it came from: the offline queue (MESSAGE_ID and ID of the entry, for the log). */
  source: "offline";
  messageId?: string;
  at?: string;
}

/** The stream holds the last events only: what the app has not taken within this many is old. */
export const CRM_EVENT_STREAM_MAXLEN = 10_000;

/** The app's consumer group on the stream. */
export const CRM_EVENT_GROUP = "itgrix-app";

export function encodeStreamedEvent(event: StreamedCrmEvent): string {
  return JSON.stringify(event);
}

/** Undefined for an entry that is not a StreamedCrmEvent (logged and acknowledged by the reader). */
export function decodeStreamedEvent(raw: string | undefined): StreamedCrmEvent | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<StreamedCrmEvent>;
    if (typeof value.name !== "string" || typeof value.data !== "object" || value.data === null)
      return undefined;
    return { ...value, name: value.name.toUpperCase(), source: "offline" } as StreamedCrmEvent;
  } catch {
    return undefined;
  }
}
