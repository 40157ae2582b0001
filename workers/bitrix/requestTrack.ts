import { randomUUID } from "node:crypto";
import { subscribe } from "node:diagnostics_channel";

/**
 * Did any byte of a request reach the wire? A request that failed before its headers were written
 * (connection refused, DNS failure, a connect that timed out) provably did not run at the portal and
 * may be sent again; one that failed after (a reset, a timeout waiting for the answer) may have run.
 *
 * Node's fetch (undici, also under ky) publishes `undici:client:sendHeaders` with the request head it
 * writes to the socket. Each request carries its own id in a header, and the tracker notes the ids it
 * sees written. Until the channel has shown one of our ids at least once, the answer is "may have
 * been sent": a Node without the channel makes every failure ambiguous, never a blind re-send.
 */

export const TRACK_HEADER = "x-itgrix-request";
const HEADER_LINE = new RegExp(`(?:^|\\r\\n)${TRACK_HEADER}: ([^\\r\\n]+)`, "i");

const written = new Set<string>();
const open = new Set<string>();
let channelWorks = false;
let subscribed = false;

function ensureSubscribed(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe("undici:client:sendHeaders", (message) => {
    const headers = (message as { headers?: unknown } | null)?.headers;
    if (typeof headers !== "string") return;
    const id = HEADER_LINE.exec(headers)?.[1]?.trim();
    if (id === undefined || !open.has(id)) return;
    written.add(id);
    channelWorks = true;
  });
}

/** One request's track: its header, and whether it may have been sent. Call `end()` when done. */
export interface RequestTrack {
  readonly headers: Record<string, string>;
  /** False only when the channel works and never saw this request's head written. */
  mayHaveBeenSent(): boolean;
  /** The channel saw this request's head written. */
  written(): boolean;
  end(): void;
}

export function trackRequest(): RequestTrack {
  ensureSubscribed();
  const id = randomUUID();
  open.add(id);
  return {
    headers: { [TRACK_HEADER]: id },
    mayHaveBeenSent: () => !channelWorks || written.has(id),
    written: () => written.has(id),
    end: () => {
      open.delete(id);
      written.delete(id);
    },
  };
}

/** Errors that only a connection attempt can end with: nothing was written before them. */
const CONNECT_ONLY_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"]);

/** The system or undici code of a fetch failure (`fetch failed` wraps it in `cause`). */
export function failureCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = e.cause;
  }
  return undefined;
}

/**
 * True when the failure proves the request never left this host: the channel never saw its head
 * written (and the channel is known to work), or the error is one only a connect can end with.
 */
export function provedUnsent(err: unknown, track: RequestTrack): boolean {
  if (track.written()) return false;
  if (!track.mayHaveBeenSent()) return true;
  const code = failureCode(err);
  return code !== undefined && CONNECT_ONLY_CODES.has(code);
}
