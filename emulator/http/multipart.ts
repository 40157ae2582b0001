/** A tiny multipart/form-data reader: enough for the attachRecord upload step (one `file` field). */
export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

export function boundaryOf(contentType: string | undefined): string | null {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? "");
  return match ? (match[1] ?? match[2] ?? "").trim() : null;
}

function parseHeaders(block: string): Omit<MultipartPart, "data"> | null {
  const disposition = /content-disposition:[^\r\n]*/i.exec(block)?.[0];
  if (!disposition) return null;
  const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
  if (name === undefined) return null;
  const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
  const contentType = /content-type:\s*([^\r\n]*)/i.exec(block)?.[1];
  return { name, filename, contentType };
}

export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const afterDelimiter = start + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === "--") break;
    const next = body.indexOf(delimiter, afterDelimiter);
    if (next < 0) break;
    const section = body.subarray(afterDelimiter + 2, next - 2); // skip CRLF after delimiter and before next
    const headerEnd = section.indexOf("\r\n\r\n");
    if (headerEnd >= 0) {
      const headers = parseHeaders(section.subarray(0, headerEnd).toString("utf8"));
      if (headers) parts.push({ ...headers, data: section.subarray(headerEnd + 4) });
    }
    start = next;
  }
  return parts;
}
