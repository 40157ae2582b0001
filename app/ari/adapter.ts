import { EventEmitter } from "node:events";
import type { Logger } from "../../core/logging/logger.ts";
import { reconnectDelayMs } from "./backoff.ts";
import { ClientSocket } from "./clientSocket.ts";
import { AriRest } from "./rest.ts";
import { asAriEvent, type AriEvent } from "./types.ts";

export interface AriAdapterOptions {
  url: string;
  user: string;
  password: string;
  app: string;
  /** Events of every channel (observe mode), not only of those in Stasis. */
  subscribeAll?: boolean;
  reconnectMaxDelayMs: number;
  logger: Logger;
  /** Liveness ping of the websocket: a silent socket is torn down and reconnected. */
  pingIntervalMs?: number;
  /** REST requests in flight at most (Asterisk's `sessionlimit` counts them); the rest queue. */
  maxConcurrentRequests?: number;
}

/**
 * `connecting` (first attempts) · `connected` · `reconnecting` (lost, trying again) · `replaced`
 * (another websocket took the application name: passive for good) · `stopped`.
 */
export type AriLinkState = "connecting" | "connected" | "reconnecting" | "replaced" | "stopped";

interface AdapterEvents {
  event: [AriEvent];
  connected: [];
  /** The websocket was lost; `disconnectedAt` says when. */
  disconnected: [];
  replaced: [];
}

/**
 * The only door to Asterisk. Events come over one `ari-client` websocket at a time (ClientSocket:
 * ari-client's own reconnect never runs); REST goes through `rest` (fetch, with status codes, which
 * ari-client loses). The adapter owns reconnecting: after any loss it throws the client away and makes
 * a new one, for ever, with a capped backoff, whatever the outage's length. `ApplicationReplaced` (another process connected with our app name)
 * makes it passive for good: it closes its socket and never reconnects by itself, so two instances
 * never fight over the name — restarting this process takes the name back.
 */
export class AriAdapter extends EventEmitter<AdapterEvents> {
  readonly rest: AriRest;
  private socket: ClientSocket | undefined;
  private link: AriLinkState = "stopped";
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** When the websocket last lost Asterisk (epoch ms): its close, or its last sign of life if it went silent. */
  disconnectedAt: number | undefined;

  constructor(private readonly opts: AriAdapterOptions) {
    super();
    this.rest = new AriRest(
      opts.url,
      opts.user,
      opts.password,
      undefined,
      opts.maxConcurrentRequests,
      opts.logger,
    );
  }

  get isConnected(): boolean {
    return this.link === "connected";
  }

  get state(): AriLinkState {
    return this.link;
  }

  /** Starts connecting in the background; `connected` fires on every successful (re)connect. */
  start(): void {
    if (this.link !== "stopped") return;
    this.link = "connecting";
    this.open();
  }

  /** Resolves once connected (or rejects after `timeoutMs`). */
  waitConnected(timeoutMs = 30_000): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("ARI not connected in time")), timeoutMs);
      this.once("connected", () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const wasConnected = this.isConnected;
    this.link = "stopped";
    clearTimeout(this.retryTimer);
    this.socket?.close();
    this.socket = undefined;
    if (wasConnected) this.emit("disconnected");
  }

  private open(): void {
    const socket = new ClientSocket({ ...this.opts, pingIntervalMs: this.opts.pingIntervalMs ?? 15_000 });
    this.socket = socket;
    socket.on("open", () => {
      this.attempt = 0;
      this.link = "connected";
      this.opts.logger.info({ app: this.opts.app }, "ARI connected");
      this.emit("connected");
    });
    socket.on("message", (raw) => this.dispatch(raw));
    socket.on("close", (reason, lastKnownAt) => this.onClose(socket, reason, lastKnownAt));
  }

  private onClose(socket: ClientSocket, reason: string, lastKnownAt: number): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    if (this.link === "stopped" || this.link === "replaced") return;
    if (this.link === "connected") {
      this.disconnectedAt = lastKnownAt;
      this.link = "reconnecting";
      this.opts.logger.warn({ reason }, "ARI websocket lost; reconnecting");
      // Pooled REST connections may run over the same dead path: the resync must not wait on them.
      this.rest.dropConnections();
      this.emit("disconnected");
    }
    const delay = reconnectDelayMs(this.attempt++, this.opts.reconnectMaxDelayMs);
    const log = { reason, attempt: this.attempt, delay };
    if (this.attempt === 1 || this.attempt % 30 === 0) this.opts.logger.warn(log, "ARI connect failed");
    else this.opts.logger.debug(log, "ARI connect failed");
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private dispatch(raw: unknown): void {
    if ((raw as { type?: string } | null)?.type === "ApplicationReplaced") return this.onReplaced();
    const event = asAriEvent(raw);
    if (!event || this.link !== "connected") return;
    try {
      this.emit("event", event);
    } catch (err) {
      this.opts.logger.error({ err, type: event.type }, "ARI event handler threw");
    }
  }

  private onReplaced(): void {
    this.opts.logger.error(
      { app: this.opts.app },
      "ARI application taken over by another connection; this process stops acting on calls (restart it to take the application back)",
    );
    const wasConnected = this.isConnected;
    this.link = "replaced";
    clearTimeout(this.retryTimer);
    this.socket?.close("replaced");
    this.socket = undefined;
    if (wasConnected) this.emit("disconnected");
    this.emit("replaced");
  }
}
