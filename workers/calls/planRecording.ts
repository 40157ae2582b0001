import { basename, extname } from "node:path";
import type { CallState } from "../../core/calls/types.ts";
import type { RecordingSource } from "../../core/hooks/api.ts";
import type { CallDecisions } from "../../core/hooks/callDecisions.ts";
import { isSafeSpoolFile } from "../../core/recordings/spoolPath.ts";
import { signedRecordingUrl } from "../../core/recordings/signedLink.ts";
import type { CrmCommand } from "../delivery/types.ts";
import { decisionsFor } from "./callDecisionsFor.ts";
import { attachRecordCommand, attachRecordUrlCommand } from "./commands.ts";
import type { StepJournal } from "./journal.ts";
import { plannedGroup, send, type Plan } from "./plan.ts";
import type { PlanConfig } from "./planSteps.ts";

const ATTACHABLE = new Set([".wav", ".mp3"]);

/**
 * Finished: the recording follows once it is done. Where it comes from is the recordingSource point's
 * (default: the spool file of the call's recording; a customization may give a link to external
 * storage even when the call has no local recording). A file in `upload` mode: attachRecord FILENAME,
 * the file goes to the answered uploadUrl outside the batch; in `url` mode: attachRecord RECORD_URL, a
 * signed link to this connector's HTTP API. A link: attachRecord RECORD_URL with it, nothing else.
 * attachRecord replaces an earlier recording, so an unanswered one is simply sent again.
 */
export async function planRecording(
  call: CallState,
  journal: StepJournal,
  config: PlanConfig,
  now: Date,
  decide: CallDecisions = decisionsFor(call, { userIdByExtension: () => undefined }, config),
): Promise<Plan> {
  if (journal.record?.doneAt || journal.record?.error) return { kind: "done" };
  const recording = call.recording;
  if (recording && recording.state !== "failed" && (recording.state === "recording" || !recording.file))
    return { kind: "wait", for: "recording" };
  const own: RecordingSource =
    recording?.file && recording.state !== "failed"
      ? { kind: "file", file: recording.file }
      : { kind: "none", reason: recording ? "recording failed" : "not recorded" };
  const source = await decide.recordingSource(config.crm.recordDelivery, own);
  if (source.kind === "none") return { kind: "done" };
  if (source.kind === "url") return attachLink(call, journal, decide, source);
  return attachFile(call, journal, config, now, decide, source);
}

async function attachFile(
  call: CallState,
  journal: StepJournal,
  config: PlanConfig,
  now: Date,
  decide: CallDecisions,
  source: Extract<RecordingSource, { kind: "file" }>,
): Promise<Plan> {
  const fileName = basename(source.file);
  if (!ATTACHABLE.has(extname(fileName).toLowerCase())) {
    return { kind: "recordSkip", reason: `recording ${fileName} is not wav or mp3` };
  }
  if (!isSafeSpoolFile(source.file)) {
    return { kind: "recordSkip", reason: `recording path ${source.file} is not inside the spool` };
  }
  const bxCallId = journal.bxCallId!;
  const params = await decide.attachRecordParams(bxCallId, source, { FILENAME: fileName });
  if (config.crm.recordDelivery === "upload") {
    return sendAttach(call, attachRecordCommand(bxCallId, params.FILENAME), source);
  }
  const { publicUrl, signingKey, recordLinkTtlSec } = config.http ?? {};
  if (!publicUrl || !signingKey) {
    return { kind: "recordSkip", reason: "crm.recordDelivery=url needs http.publicUrl and http.signingKey" };
  }
  const url = signedRecordingUrl({
    publicUrl,
    file: source.file,
    key: signingKey,
    nowMs: now.getTime(),
    ttlSec: recordLinkTtlSec,
  });
  return sendAttach(call, attachRecordUrlCommand(bxCallId, url, params.FILENAME), source);
}

/** A link to external storage (a customization's): the portal downloads it itself. */
async function attachLink(
  call: CallState,
  journal: StepJournal,
  decide: CallDecisions,
  source: Extract<RecordingSource, { kind: "url" }>,
): Promise<Plan> {
  const bxCallId = journal.bxCallId!;
  const base = { FILENAME: source.fileName, RECORD_URL: source.url };
  const params = await decide.attachRecordParams(bxCallId, source, base);
  const url = params.RECORD_URL ?? source.url;
  return sendAttach(call, attachRecordUrlCommand(bxCallId, url, params.FILENAME), source);
}

/** The group names its source unless it is the call's own spool file (the journal's default). */
function sendAttach(call: CallState, command: CrmCommand, source: RecordingSource): Plan {
  const group = plannedGroup(call.callId, "bulk", [command]);
  const own = source.kind === "file" && source.file === call.recording?.file;
  return send(own ? group : { ...group, record: source });
}
