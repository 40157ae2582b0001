import { randomBytes } from "node:crypto";
import { coreError } from "../../errors.ts";
import type { ParamObject } from "../../http/brackets.ts";
import type { Runtime } from "../../runtime.ts";
import type { RecordAttachment } from "../../state/types.ts";
import { param, str } from "../params.ts";
import type { MethodContext, MethodOutput } from "../types.ts";

const NOT_FINISHED = "Call is not found in the statistic table. Looks like it is not finished yet.";
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function checkExtension(fileName: string): void {
  if (!fileName) throw coreError("File name is empty");
  if (!/\.(wav|mp3)$/i.test(fileName)) throw coreError("Wrong file extension. Only wav and mp3 are allowed");
}

/** Stores a recording on a finished call; a later one replaces it as the call's current file. */
export function storeRecording(
  runtime: Runtime,
  callId: string,
  file: { fileName: string; size: number; via: RecordAttachment["via"]; url?: string },
): number {
  const { state, clock } = runtime;
  const fileId = state.nextId("file", 9000);
  state.files.set(fileId, { name: file.fileName, size: file.size });
  const call = state.calls.get(callId);
  const now = clock.now();
  call?.records.push({ ...file, fileId, at: now });
  if (call) call.updatedAt = now;
  const stat = state.statistics.get(callId);
  if (stat) {
    stat.RECORD_FILE_ID = fileId;
    stat.CALL_RECORD_ID = fileId;
  }
  return fileId;
}

function fromBase64(runtime: Runtime, callId: string, fileName: string, content: string): MethodOutput {
  const compact = content.replace(/\s+/g, "");
  if (compact === "") throw coreError("File content is empty.");
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw coreError("File content is not properly encoded. Base64 encoding is expected.");
  }
  const size = Buffer.from(compact, "base64").length;
  return { result: { FILE_ID: storeRecording(runtime, callId, { fileName, size, via: "base64" }) } };
}

async function fromUrl(runtime: Runtime, callId: string, url: string, fileName: string | undefined) {
  const name = fileName || decodeURIComponent(new URL(url, "http://x").pathname.split("/").pop() ?? "");
  checkExtension(name);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch {
    throw coreError("Server returns HTTP error code 0");
  }
  if (response.status !== 200) throw coreError(`Server returns HTTP error code ${response.status}`);
  const size = (await response.arrayBuffer()).byteLength;
  return { result: { FILE_ID: storeRecording(runtime, callId, { fileName: name, size, via: "url", url }) } };
}

function uploadSlot(runtime: Runtime, callId: string, fileName: string): MethodOutput {
  const id = randomBytes(12).toString("hex");
  runtime.uploads.set(id, { callId, fileName });
  const auth = randomBytes(8).toString("hex");
  const uploadUrl = `${runtime.publicUrl}/rest/upload.json?auth=${auth}&token=${encodeURIComponent(`telephony|${id}`)}`;
  return { result: { uploadUrl, fieldName: "file" } };
}

export async function attachRecord(params: ParamObject, ctx: MethodContext): Promise<MethodOutput> {
  const { runtime } = ctx;
  const callId = str(param(params, "CALL_ID")) ?? "";
  const url = str(param(params, "RECORD_URL")) ?? "";
  const fileName = str(param(params, "FILENAME"));
  if (!url && fileName === undefined) throw coreError("Request should contain or URL or FILENAME parameter");
  if (!runtime.state.statistics.has(callId)) throw coreError(NOT_FINISHED);
  if (url) return fromUrl(runtime, callId, url, fileName);
  checkExtension(fileName ?? "");
  const content = param(params, "FILE_CONTENT");
  if (content === undefined) return uploadSlot(runtime, callId, fileName ?? "");
  return fromBase64(runtime, callId, fileName ?? "", str(content) ?? "");
}
