import WebSocket from "ws";
import type { TestbedInfo } from "./info.ts";

/**
 * A minimal ARI client (fetch + ws) for the testbed's own smoke tests. The application's ARI adapter
 * lives in app/ari/; this one only proves the testbed works.
 */
export interface AriEvent {
  type: string;
  [key: string]: unknown;
}

export interface AriChannel {
  id: string;
  name: string;
  state: string;
  caller: { number: string; name: string };
}

export class AriProbe {
  readonly events: AriEvent[] = [];
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly info: TestbedInfo,
    private readonly socket: WebSocket,
  ) {
    socket.on("message", (data: WebSocket.RawData) => {
      this.events.push(JSON.parse(data.toString()) as AriEvent);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async connect(info: TestbedInfo): Promise<AriProbe> {
    const url = `${info.ari.url.replace(/^http/, "ws")}/ari/events?app=${encodeURIComponent(info.ari.app)}`;
    const socket = new WebSocket(url, { headers: { authorization: authHeader(info) } });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new AriProbe(info, socket);
  }

  /** The first event (already received or coming) that matches; rejects after `timeoutMs`. */
  async waitFor(predicate: (e: AriEvent) => boolean, timeoutMs = 10_000, what = "event"): Promise<AriEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (this.events.some((e) => e.type === "ApplicationReplaced")) {
        throw new Error(
          `another ARI client took over the application "${this.info.ari.app}" (ApplicationReplaced)`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.events.map((e) => e.type).join(", ");
        throw new Error(`no ${what} within ${timeoutMs} ms; events seen: ${seen}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async request(
    method: string,
    path: string,
    query: Record<string, string> = {},
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    const qs = new URLSearchParams(query).toString();
    const response = await fetch(`${this.info.ari.url}/ari${path}${qs ? `?${qs}` : ""}`, {
      method,
      headers: { authorization: authHeader(this.info), "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown = text;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      // plain-text error body
    }
    return { status: response.status, json };
  }

  /** Forgets the events received so far (between tests). */
  clear(): void {
    this.events.length = 0;
  }

  close(): void {
    this.socket.close();
  }
}

function authHeader(info: TestbedInfo): string {
  return "Basic " + Buffer.from(`${info.ari.user}:${info.ari.password}`).toString("base64");
}

export function channelOf(event: AriEvent): AriChannel {
  return event.channel as AriChannel;
}
