import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { CallState } from "../../core/calls/types.ts";
import type { Logger } from "../../core/logging/logger.ts";
import type { Metrics } from "../../core/metrics/metrics.ts";
import { DeliveryError } from "../delivery/deliveryError.ts";
import type { CommandGroup, CrmErrorInfo, CrmFileDelivery } from "../delivery/types.ts";
import { METHOD, sameMethod } from "./commands.ts";
import type { StepJournal } from "./journal.ts";

export type UploadResult = { ok: true } | { ok: false; error: CrmErrorInfo };

/** Why `spoolDir/file` cannot be attached (missing or empty), or undefined when it can. */
export async function recordingProblem(spoolDir: string, file: string): Promise<CrmErrorInfo | undefined> {
  try {
    const info = await stat(join(spoolDir, file));
    if (info.isFile() && info.size > 0) return undefined;
  } catch {
    /* missing: reported below */
  }
  return { code: "RECORDING_MISSING", description: `no recording file ${file}`, retryable: false };
}

/**
 * Streams `spoolDir/file` to the portal's `uploadUrl` through the delivery pipeline (limiter, retries),
 * outside any batch; the file is re-opened for every attempt and never held whole in memory or Redis.
 * A missing file or a refusal for good is `{ok:false}`; exhausted retries reject with the DeliveryError.
 */
export async function uploadRecording(
  delivery: Pick<CrmFileDelivery, "upload">,
  spoolDir: string,
  callId: string,
  file: string,
  target: { uploadUrl: string; fieldName: string },
): Promise<UploadResult> {
  const problem = await recordingProblem(spoolDir, file);
  if (problem) return { ok: false, error: problem };
  const path = join(spoolDir, file);
  try {
    await delivery.upload({
      callId,
      uploadUrl: target.uploadUrl,
      fieldName: target.fieldName,
      fileName: basename(file),
      open: () => createReadStream(path),
    });
    return { ok: true };
  } catch (err) {
    if (err instanceof DeliveryError && err.reason === "permanent_error") {
      return { ok: false, error: err.lastError };
    }
    throw err;
  }
}

export interface RecordingStepDeps {
  delivery: Pick<CrmFileDelivery, "upload">;
  spoolDir: string;
  logger: Logger;
  metrics: Metrics;
  now: () => Date;
}

/**
 * The reconciler's side of the record step: a file that is not in the spool is noted in the journal
 * instead of being sent (in `url` mode the portal would fail to fetch it), and an answered uploadUrl
 * gets the file. A recording that cannot be attached never fails the call.
 */
export class RecordingStep {
  constructor(private readonly deps: RecordingStepDeps) {}

  /** The journal with the record error when an attachRecord of `groups` names a missing file. */
  async checkFile(
    call: CallState,
    journal: StepJournal,
    groups: (CommandGroup & { record?: { kind: string } })[],
  ): Promise<StepJournal | undefined> {
    // A link a customization gave (external storage) needs no file in the spool.
    const attaches = groups.some(
      (g) => g.record?.kind !== "url" && g.commands.some((c) => sameMethod(c.method, METHOD.attachRecord)),
    );
    const file = call.recording?.file;
    if (!attaches || !file) return undefined;
    const problem = await recordingProblem(this.deps.spoolDir, file);
    return problem ? this.notAttached(call.callId, journal, file, problem) : undefined;
  }

  /** Uploads to the answered `uploadUrl`; exhausted retries reject (the job comes back later). */
  async upload(
    call: CallState,
    journal: StepJournal,
    target: { uploadUrl: string; fieldName: string },
  ): Promise<StepJournal> {
    const file = journal.record?.file ?? call.recording?.file ?? "";
    const result = await uploadRecording(this.deps.delivery, this.deps.spoolDir, call.callId, file, target);
    if (!result.ok) return this.notAttached(call.callId, journal, file, result.error);
    const next = structuredClone(journal);
    next.record = { ...next.record!, doneAt: this.deps.now().toISOString() };
    return next;
  }

  private async notAttached(
    callId: string,
    journal: StepJournal,
    file: string,
    error: CrmErrorInfo,
  ): Promise<StepJournal> {
    this.deps.logger.warn({ callId, code: error.code }, "recording not attached");
    await this.deps.metrics.count(`errors.${error.code}`);
    const next = structuredClone(journal);
    next.record = { file, ...next.record, error: `${error.code}: ${error.description}` };
    return next;
  }
}
