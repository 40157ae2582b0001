import type { IncomingMessage } from "node:http";
import { listify, parseBracketQuery, type ParamObject } from "./brackets.ts";

/** A body over the limit: nothing of it is kept (the server answers 413 and closes the connection). */
export class BodyTooLarge extends Error {}

export function readBody(req: IncomingMessage, limitBytes = 64 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limitBytes) {
      req.resume();
      return reject(new BodyTooLarge(`${declared} bytes declared`));
    }
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        chunks.length = 0;
        reject(new BodyTooLarge(`over ${limitBytes} bytes`));
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export class BodyParseError extends Error {}

/** A REST body: JSON or form-encoded (bracket keys); anything else is ignored, as PHP would. */
export function parseRestBody(body: Buffer, contentType: string | undefined): ParamObject {
  if (body.length === 0) return {};
  const type = (contentType ?? "").toLowerCase();
  const text = body.toString("utf8");
  if (type.includes("application/json")) {
    try {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
        ? (listify(parsed) as ParamObject)
        : {};
    } catch {
      throw new BodyParseError("Invalid JSON body");
    }
  }
  if (type.includes("multipart/")) return {};
  return parseBracketQuery(text);
}

export function queryOf(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? "" : url.slice(q + 1);
}

export function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}
