import { basename, extname } from "node:path";
import type { CallState } from "../../core/calls/types.ts";
import { isSafeSpoolFile } from "../../core/recordings/spoolPath.ts";
import { signedRecordingUrl } from "../../core/recordings/signedLink.ts";
import { attachRecordCommand, attachRecordUrlCommand } from "./commands.ts";
import type { StepJournal } from "./journal.ts";
import { plannedGroup, send, type Plan } from "./plan.ts";
import type { PlanConfig } from "./planSteps.ts";

const ATTACHABLE = new Set([".wav", ".mp3"]);

/**
 * Finished: the recording follows once it is done. `upload`: attachRecord FILENAME, the file goes to
 * the answered uploadUrl outside the batch. `url`: attachRecord RECORD_URL, a signed link to this
 * connector's HTTP API, and nothing else to send. attachRecord replaces an earlier recording, so an
 * unanswered one is simply sent again.
 */
export function planRecording(call: CallState, journal: StepJournal, config: PlanConfig, now: Date): Plan {
  if (journal.record?.doneAt || journal.record?.error) return { kind: "done" };
  const recording = call.recording;
  if (!recording || recording.state === "failed") return { kind: "done" };
  if (recording.state === "recording" || !recording.file) return { kind: "wait", for: "recording" };
  const fileName = basename(recording.file);
  if (!ATTACHABLE.has(extname(fileName).toLowerCase())) {
    return { kind: "recordSkip", reason: `recording ${fileName} is not wav or mp3` };
  }
  if (!isSafeSpoolFile(recording.file)) {
    return { kind: "recordSkip", reason: `recording path ${recording.file} is not inside the spool` };
  }
  const bxCallId = journal.bxCallId!;
  if (config.crm.recordDelivery === "upload") {
    return send(plannedGroup(call.callId, "bulk", [attachRecordCommand(bxCallId, fileName)]));
  }
  const { publicUrl, signingKey, recordLinkTtlSec } = config.http ?? {};
  if (!publicUrl || !signingKey) {
    return { kind: "recordSkip", reason: "crm.recordDelivery=url needs http.publicUrl and http.signingKey" };
  }
  const url = signedRecordingUrl({
    publicUrl,
    file: recording.file,
    key: signingKey,
    nowMs: now.getTime(),
    ttlSec: recordLinkTtlSec,
  });
  return send(plannedGroup(call.callId, "bulk", [attachRecordUrlCommand(bxCallId, url, fileName)]));
}
