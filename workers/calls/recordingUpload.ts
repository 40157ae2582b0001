import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Readable } from "node:stream";
import { BitrixError } from "../bitrix/errors.ts";
import type { CrmErrorInfo } from "../delivery/types.ts";

/** Posts a file to the `uploadUrl` attachRecord returned (the delivery's Bitrix24 client does it). */
export interface RecordingUploader {
  uploadFile(
    uploadUrl: string,
    fieldName: string,
    fileName: string,
    data: Buffer | Readable,
  ): Promise<unknown>;
}

export type UploadResult = { ok: true } | { ok: false; error: CrmErrorInfo };

/**
 * Streams `spoolDir/file` to the portal, outside any batch (a recording is never held whole in memory
 * or Redis). A missing file is a permanent error of the recording step; network trouble is retryable.
 */
export async function uploadRecording(
  uploader: RecordingUploader,
  spoolDir: string,
  file: string,
  target: { uploadUrl: string; fieldName: string },
): Promise<UploadResult> {
  const path = join(spoolDir, file);
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size === 0) throw new Error("empty");
  } catch {
    return {
      ok: false,
      error: { code: "RECORDING_MISSING", description: `no recording file ${file}`, retryable: false },
    };
  }
  try {
    await uploader.uploadFile(target.uploadUrl, target.fieldName, basename(file), createReadStream(path));
    return { ok: true };
  } catch (err) {
    if (err instanceof BitrixError) return { ok: false, error: err.toInfo() };
    return { ok: false, error: { code: "UPLOAD", description: (err as Error).message, retryable: true } };
  }
}
