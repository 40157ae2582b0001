import { posix } from "node:path";
import type { CdrRow, CelRow } from "./callRecords.ts";
import { extraOf } from "./callChannels.ts";

export interface RebuiltRecording {
  /** The recording's name as the app names it (`itgrix/<callId>`), or the file without its extension. */
  name: string;
  format: string;
  /** Relative to Asterisk's recording spool, as the workers attach it. */
  file: string;
}

/** Extensions of recordings a dialplan may name in CDR(userfield). */
const RECORDING_FILE = /\.(wav|mp3|gsm|ogg|ulaw|alaw|sln16)$/i;

/**
 * The call's recording, where Asterisk's records show one:
 * 1. the app's bridge recording: a `Recorder/` channel in the app's bridge `itgrix-<callId>` (the app
 *    records bridges as `itgrix/<callId>.<recording.format>` in the spool);
 * 2. else a recording path a dialplan wrote into `CDR(userfield)` (MixMonitor setups), inside the spool.
 * Pure: whether the file is still there is for the workers to find out (they record the error).
 */
export function recordingOf(
  rows: readonly CelRow[],
  cdr: readonly CdrRow[],
  options: { callId: string; recordingFormat: string; spoolDir?: string },
): RebuiltRecording | undefined {
  const bridge = `itgrix-${options.callId}`;
  const recorded = rows.some(
    (r) => extraOf(r).bridge_id === bridge && r.peer.split(",").some((p) => p.trim().startsWith("Recorder/")),
  );
  if (recorded) {
    const name = `itgrix/${options.callId}`;
    return { name, format: options.recordingFormat, file: `${name}.${options.recordingFormat}` };
  }
  for (const row of cdr) {
    const file = spoolRelative(row.userField.trim(), options.spoolDir);
    if (!file || !RECORDING_FILE.test(file)) continue;
    const dot = file.lastIndexOf(".");
    return { name: file.slice(0, dot), format: file.slice(dot + 1).toLowerCase(), file };
  }
  return undefined;
}

function spoolRelative(path: string, spoolDir: string | undefined): string | undefined {
  if (path === "") return undefined;
  if (!path.startsWith("/")) return posix.normalize(path);
  if (!spoolDir) return undefined;
  const root = spoolDir.endsWith("/") ? spoolDir : `${spoolDir}/`;
  return path.startsWith(root) ? posix.normalize(path.slice(root.length)) : undefined;
}
