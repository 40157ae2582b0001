import type { ServerResponse } from "node:http";

/** PHP's json_encode prints an empty array as `[]`; Bitrix24's empty batch sections look like that. */
export function phpSection(section: Record<string, unknown>): Record<string, unknown> | unknown[] {
  const keys = Object.keys(section);
  if (keys.length === 0) return [];
  if (keys.every((k, i) => k === String(i))) return keys.map((k) => section[k]);
  return section;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** An HTML error page, as nginx (or a firewall in front of the portal) answers before PHP runs. */
export function sendHtml(res: ServerResponse, status: number, title: string, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const text = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  res.writeHead(status, {
    "content-type": "text/html",
    "content-length": Buffer.byteLength(text),
    ...(close ? { connection: "close" } : {}),
  });
  res.end(text);
}
