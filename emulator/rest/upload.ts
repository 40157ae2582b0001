import type { IncomingMessage } from "node:http";
import { coreError, RestError } from "../errors.ts";
import { parseBracketQuery } from "../http/brackets.ts";
import { boundaryOf, parseMultipart } from "../http/multipart.ts";
import { storeRecording } from "../methods/telephony/record.ts";
import type { Runtime } from "../runtime.ts";
import type { Exchange } from "./reply.ts";

/** Second step of attachRecord with FILENAME only: multipart POST with the field `file` to uploadUrl. */
export function handleUpload(
  runtime: Runtime,
  exchange: Exchange,
  req: IncomingMessage,
  body: Buffer,
  query: string,
) {
  const token = String(parseBracketQuery(query).token ?? "");
  const uploadId = token.startsWith("telephony|") ? token.slice("telephony|".length) : "";
  const pending = runtime.uploads.get(uploadId);
  if (!pending) throw new RestError(401, "invalid_token", "Upload token is invalid or already used");
  const boundary = boundaryOf(req.headers["content-type"]);
  if (!boundary) throw new RestError(400, "INVALID_REQUEST", "multipart/form-data expected");
  const file = parseMultipart(body, boundary).find((part) => part.name === "file");
  if (!file || file.data.length === 0) throw coreError("File content is empty.");
  const name = file.filename || pending.fileName;
  if (!/\.(wav|mp3)$/i.test(name)) throw coreError("Wrong file extension. Only wav and mp3 are allowed");
  runtime.uploads.delete(uploadId);
  const fileId = storeRecording(runtime, pending.callId, {
    fileName: pending.fileName,
    size: file.data.length,
    via: "upload",
  });
  exchange.entry.auth = "none";
  exchange.success({ result: { FILE_ID: fileId } }, null);
}
