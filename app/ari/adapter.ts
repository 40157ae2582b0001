import { EventEmitter } from "node:events";
import ariClient from "ari-client";
import type { Logger } from "../../core/logging/logger.ts";
import { reconnectDelayMs } from "./backoff.ts";
import { AriRest } from "./rest.ts";
import { asAriEvent, type AriEvent } from "./types.ts";

export interface AriAdapterOptions {
  url: string;
  user: string;
  password: string;
  app: string;
  reconnectMaxDelayMs: number;
  logger: Logger;
  /** Liveness ping of the websocket (ari-client has none): a silent socket is torn down. */
  pingIntervalMs?: number;
}

interface AdapterEvents {
  event: [AriEvent];
  connected: [];
  disconnected: [];
}

type AriClient = Awaited<ReturnType<typeof ariClient.connect>>;
/** Internals of ari-client we need for cleanup (see ari-notes §7). */
interface ClientInternals {
  _ws?: { terminate(): void };
  _instanceListeners?: Record<string, { id: string }[]>;
}

/**
 * The only door to Asterisk. Events come over ari-client's websocket (the "events" channel only);
 * REST goes through `rest` (fetch, with status codes). The adapter reconnects for ever: ari-client's
 * own reconnect gives up after ~10 tries (WebSocketMaxRetries) and its connect() fails with
 * APILoadError while Asterisk is down, so on either the client is thrown away and re-created.
 */
export class AriAdapter extends EventEmitter<AdapterEvents> {
  readonly rest: AriRest;
  private client: AriClient | undefined;
  private stopped = false;
  private connected = false;
  private attempt = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private lastPong = Date.now();
  private retryTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private looping = false;

  constructor(private readonly opts: AriAdapterOptions) {
    super();
    this.rest = new AriRest(opts.url, opts.user, opts.password);
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Starts connecting in the background; `connected` fires on every successful (re)connect. */
  start(): void {
    this.stopped = false;
    void this.connectLoop();
  }

  /** Resolves once connected (or rejects after `timeoutMs`). */
  waitConnected(timeoutMs = 30_000): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("ARI not connected in time")), timeoutMs);
      this.once("connected", () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.wake?.();
    this.dropClient();
    this.setConnected(false);
  }

  private async connectLoop(): Promise<void> {
    if (this.looping) return; // WebSocketMaxRetries and a failed start() can both ask for a new loop
    this.looping = true;
    try {
      await this.connectUntilStarted();
    } finally {
      this.looping = false;
    }
  }

  private async connectUntilStarted(): Promise<void> {
    while (!this.stopped) {
      try {
        const client = await ariClient.connect(this.opts.url, this.opts.user, this.opts.password);
        if (this.stopped) return;
        this.attach(client);
        await client.start(this.opts.app);
        return; // later drops are handled by ari-client's reconnect, then by onMaxRetries()
      } catch (err) {
        this.dropClient();
        this.attempt++;
        const delay = reconnectDelayMs(this.attempt, this.opts.reconnectMaxDelayMs);
        this.opts.logger.warn(
          { err: (err as Error).message, attempt: this.attempt, delay },
          "ARI connect failed",
        );
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.retryTimer = setTimeout(resolve, delay);
        });
      }
    }
  }

  private attach(client: AriClient): void {
    this.client = client;
    client.on("*" as "StasisStart", (raw: unknown) => this.dispatch(raw));
    client.on("WebSocketConnected", () => {
      this.attempt = 0;
      this.lastPong = Date.now();
      this.startPing(client);
      this.setConnected(true);
    });
    client.on("WebSocketReconnecting", () => this.setConnected(false));
    client.on("WebSocketMaxRetries", () => {
      this.opts.logger.warn("ari-client gave up reconnecting; re-creating the client");
      this.setConnected(false);
      if (this.looping) return; // the initial start() rejects too; its loop retries
      this.dropClient();
      if (!this.stopped) void this.connectLoop();
    });
    (client as unknown as EventEmitter).on("pong", () => (this.lastPong = Date.now()));
  }

  private dispatch(raw: unknown): void {
    if ((raw as { type?: string }).type === "ApplicationReplaced") {
      // Another process connected with the same app name and took it over (one websocket per app).
      this.opts.logger.error({ app: this.opts.app }, "ARI application taken over by another connection");
    }
    const event = asAriEvent(raw);
    if (!event) return;
    if (event.type === "StasisEnd" || event.type === "ChannelDestroyed")
      this.forgetInstance(event.channel.id);
    try {
      this.emit("event", event);
    } catch (err) {
      this.opts.logger.error({ err, type: event.type }, "ARI event handler threw");
    }
  }

  /** ari-client keeps per-instance listeners until removed (issue #43); drop any for a gone channel. */
  private forgetInstance(id: string): void {
    const listeners = (this.client as unknown as ClientInternals | undefined)?._instanceListeners;
    if (!listeners) return;
    for (const type of Object.keys(listeners)) {
      listeners[type] = (listeners[type] ?? []).filter((l) => l.id !== id);
    }
  }

  private startPing(client: AriClient): void {
    clearInterval(this.pingTimer);
    const every = this.opts.pingIntervalMs ?? 15_000;
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastPong > every * 2.5) {
        this.opts.logger.warn("ARI websocket silent; forcing a reconnect");
        (client as unknown as ClientInternals)._ws?.terminate();
        this.lastPong = Date.now();
        return;
      }
      client.ping();
    }, every);
    this.pingTimer.unref();
  }

  private dropClient(): void {
    clearInterval(this.pingTimer);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    (client as unknown as EventEmitter).removeAllListeners();
    try {
      client.stop();
    } catch {
      /* never started or already closed */
    }
  }

  private setConnected(value: boolean): void {
    if (this.connected === value) return;
    this.connected = value;
    this.emit(value ? "connected" : "disconnected");
  }
}
