import type { CallWrite } from "./durableWriter.ts";
import type { OutboxRecord } from "./outbox.ts";

/** A queued write of one call as the outbox needs to see it. */
export interface QueuedWrite {
  write: CallWrite;
  /** Events of it already stored. */
  applied: number;
  done: boolean;
}

/**
 * The write as the outbox keeps it: only its events not yet stored, with the versions they will get
 * if nothing else writes the call meanwhile (counted from the last version known to be stored, or
 * from 0 when the queue starts the call), so a replay after a crash can tell what is already in.
 * Without a known starting point the versions are left out (the replay then applies the events). Pure.
 */
export function outboxRecord(
  callId: string,
  queue: readonly QueuedWrite[],
  entry: QueuedWrite,
  storedVersion: number | undefined,
): OutboxRecord {
  const { write } = entry;
  const events = write.events.slice(entry.applied);
  const record: OutboxRecord = { callId, control: write.control, channels: write.channels, events };
  const versions = expectedVersions(queue, entry, storedVersion);
  if (versions) record.versions = versions;
  return record;
}

function expectedVersions(
  queue: readonly QueuedWrite[],
  entry: QueuedWrite,
  storedVersion: number | undefined,
): number[] | undefined {
  const head = queue[0];
  const startsCall = head?.applied === 0 && head.write.events[0]?.type === "callStarted";
  let version = storedVersion ?? (startsCall ? 0 : undefined);
  if (version === undefined) return undefined;
  for (const e of queue) {
    const pending = e.write.events.length - e.applied;
    if (e === entry) return Array.from({ length: pending }, (_, i) => version! + i + 1);
    if (!e.done) version += pending;
  }
  return undefined;
}
