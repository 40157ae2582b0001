import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { redactUrl } from "../../core/logging/logger.ts";
import { NetworkError, RequestTimeout } from "./errors.ts";
import { provedUnsent, trackRequest } from "./requestTrack.ts";

/**
 * multipart/form-data POST of one file, streamed (a recording is never held whole when a stream is
 * given). `uploadUrl` carries a token: it only ever appears redacted.
 */
export async function postMultipart(
  uploadUrl: string,
  fieldName: string,
  fileName: string,
  data: Buffer | Readable,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  const boundary = `----itgrix${randomUUID().replace(/-/g, "")}`;
  const safeName = fileName.replace(/["\r\n]/g, "_");
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${fieldName}"; filename="${safeName}"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const source = Buffer.isBuffer(data) ? Readable.from([data]) : data;
  async function* parts(): AsyncGenerator<Buffer> {
    yield head;
    for await (const chunk of source) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    yield tail;
  }
  const track = trackRequest();
  try {
    const response = await fetch(uploadUrl, {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}`, ...track.headers },
      body: Readable.toWeb(Readable.from(parts())) as ReadableStream,
      signal: AbortSignal.timeout(timeoutMs),
      duplex: "half",
    } as RequestInit);
    return { status: response.status, text: await response.text() };
  } catch (err) {
    const sent = !provedUnsent(err, track);
    if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError"))
      throw new RequestTimeout(timeoutMs, sent);
    const reason =
      err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : "error";
    throw new NetworkError(`upload: ${redactUrl(reason)}`, sent);
  } finally {
    track.end();
  }
}
