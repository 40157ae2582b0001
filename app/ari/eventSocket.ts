import { EventEmitter } from "node:events";
import WebSocket from "ws";
import type { Logger } from "../../core/logging/logger.ts";

export interface EventSocketOptions {
  /** ARI base URL, e.g. `http://127.0.0.1:8088`. */
  url: string;
  user: string;
  password: string;
  app: string;
  /** All channels, bridges and endpoints, not only those in the app's Stasis (observe mode). */
  subscribeAll?: boolean;
  /** Liveness ping; a socket silent for 2.5 intervals is torn down (Asterisk answers pings). */
  pingIntervalMs: number;
  logger: Logger;
}

interface SocketEvents {
  open: [];
  message: [unknown];
  /**
   * Emitted once, whatever ended the socket (closed by Asterisk, a network error, silence, close()),
   * with when it was last known to work: now, or the last message or pong of a socket gone silent.
   */
  close: [reason: string, lastKnownAt: number];
}

/**
 * One websocket to ARI's event stream (`/ari/events?app=…`), owned end to end: Basic auth in a header
 * (no credentials in the URL), pings only while the socket is open, torn down when it falls silent,
 * and it never reconnects by itself — the adapter decides, so no forgotten socket can come back later
 * and take the application name from the live one.
 */
export class EventSocket extends EventEmitter<SocketEvents> {
  private readonly ws: WebSocket;
  private pingTimer: NodeJS.Timeout | undefined;
  /** Last pong or message: the socket is known to work until then. */
  private lastPong = Date.now();
  private ended = false;
  private lastError = "";

  constructor(private readonly opts: EventSocketOptions) {
    super();
    const base = opts.url.replace(/\/+$/, "").replace(/^http/, "ws");
    const auth = "Basic " + Buffer.from(`${opts.user}:${opts.password}`).toString("base64");
    const all = opts.subscribeAll ? "&subscribeAll=true" : "";
    this.ws = new WebSocket(`${base}/ari/events?app=${encodeURIComponent(opts.app)}${all}`, {
      headers: { authorization: auth },
      handshakeTimeout: 5000,
    });
    this.ws.on("open", () => this.onOpen());
    this.ws.on("message", (data) => this.onMessage(data));
    this.ws.on("pong", () => (this.lastPong = Date.now()));
    this.ws.on("message", () => (this.lastPong = Date.now()));
    this.ws.on("error", (err) => (this.lastError = err.message));
    this.ws.on("close", (code, reason) =>
      this.end(this.lastError || `closed (${code} ${reason.toString()})`),
    );
  }

  /** Closes the socket for good; `close` is emitted (once) if it was not already. */
  close(reason = "closed by the app"): void {
    try {
      this.ws.terminate();
    } catch {
      /* already closed */
    }
    this.end(reason);
  }

  private onOpen(): void {
    this.lastPong = Date.now();
    const every = this.opts.pingIntervalMs;
    this.pingTimer = setInterval(() => this.ping(every), every);
    this.pingTimer.unref();
    this.emit("open");
  }

  /** Pings an open socket only (pinging one that is closing throws); a silent one is torn down. */
  private ping(every: number): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastPong > every * 2.5) {
      this.opts.logger.warn({ silentMs: Date.now() - this.lastPong }, "ARI websocket silent; reconnecting");
      this.close("silent");
      return;
    }
    try {
      this.ws.ping();
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, "ARI websocket ping failed");
    }
  }

  private onMessage(data: WebSocket.RawData): void {
    let event: unknown;
    try {
      event = JSON.parse(data.toString());
    } catch {
      this.opts.logger.warn(
        { bytes: data.toString().length },
        "ARI sent a message that is not JSON; ignored",
      );
      return;
    }
    this.emit("message", event);
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.pingTimer);
    this.emit("close", reason, reason === "silent" ? this.lastPong : Date.now());
  }
}
