import { EventEmitter } from "node:events";
import http from "node:http";
import https from "node:https";
import ariClient from "ari-client";
import type { Logger } from "../../core/logging/logger.ts";

export interface ClientSocketOptions {
  /** ARI base URL, e.g. `http://127.0.0.1:8088`. */
  url: string;
  user: string;
  password: string;
  app: string;
  /** All channels, bridges and endpoints, not only those in the app's Stasis (observe mode). */
  subscribeAll?: boolean;
  /** Liveness ping; a socket silent for 2.5 intervals is torn down (Asterisk answers pings). */
  pingIntervalMs: number;
  /** Loading the API description and opening the socket must end within this, or it is given up. */
  connectTimeoutMs?: number;
  logger: Logger;
}

interface SocketEvents {
  open: [];
  message: [unknown];
  /**
   * Emitted once, whatever ended the socket (closed by Asterisk, a network error, silence, a connect
   * that failed or took too long, close()), with when it was last known to work: now, or the last
   * message or pong of a socket gone silent.
   */
  close: [reason: string, lastKnownAt: number];
}

type AriClient = Awaited<ReturnType<typeof ariClient.connect>>;

/** ari-client's websocket (ws@6): the parts this module uses. */
interface RawSocket extends EventEmitter {
  readyState: number;
  ping(): void;
  terminate(): void;
}

/**
 * The internals of ari-client 2.2.0 (pinned: the package is frozen since 2020) this module relies on:
 * `_ws` is the event websocket, created synchronously by `start()`; `_wsClosed` tells its own close
 * and error handlers that the close was on purpose, so they schedule no reconnect.
 */
interface ClientInternals {
  _ws?: RawSocket;
  _wsClosed?: boolean;
}

const OPEN = 1;

/**
 * swagger-client (ari-client's API loader) defines a global `log` that writes its notes ("deprecated
 * version of Swagger", …) with console.log and keeps them all in `log.history`: lines in the middle of
 * the JSON log and a slow leak, one entry per connect. Silenced once, here.
 */
const swaggerGlobal = globalThis as { log?: unknown };
if (typeof swaggerGlobal.log === "function") swaggerGlobal.log = () => undefined;

/**
 * One ari-client instance and its event websocket, used once. ari-client loads the API description,
 * opens the socket and decodes events; everything about the socket's life is taken from it: its own
 * reconnect never runs (it gives up after ~10 tries, and a forgotten client's retry could reopen a
 * socket that takes the application name from the live one), pings go only to an open socket
 * (ari-client's `ping()` throws from a timer on a closed one), a silent socket is torn down, a message
 * ari-client cannot decode is logged instead of thrown. When it ends it says so once (`close`); the
 * adapter then decides whether to make a new one.
 */
export class ClientSocket extends EventEmitter<SocketEvents> {
  private client: (AriClient & ClientInternals) | undefined;
  private ws: RawSocket | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private readonly connectTimer: NodeJS.Timeout;
  /** Last pong or message: the socket is known to work until then. */
  private lastPong = Date.now();
  private ended = false;
  private lastError = "";
  /** ari-client handed the current message on (it did not throw before emitting it). */
  private delivered = false;

  constructor(private readonly opts: ClientSocketOptions) {
    super();
    this.connectTimer = setTimeout(() => this.close("connect timed out"), opts.connectTimeoutMs ?? 10_000);
    void this.connect();
  }

  /** Closes the socket for good; `close` is emitted (once) if it was not already. */
  close(reason = "closed by the app"): void {
    if (this.client) this.client._wsClosed = true;
    try {
      this.ws?.terminate();
    } catch {
      /* already closed */
    }
    this.end(reason);
  }

  private async connect(): Promise<void> {
    let client: AriClient;
    try {
      await this.probe();
      if (this.ended) return;
      this.dropIdleConnections();
      client = await ariClient.connect(this.opts.url, this.opts.user, this.opts.password);
    } catch (err) {
      this.end(describe(err));
      return;
    }
    // timed out or closed while the API description loaded: this client never opens a socket
    if (this.ended) return;
    this.client = client as AriClient & ClientInternals;
    client.on("*" as "StasisStart", (event: unknown) => {
      this.delivered = true;
      this.emit("message", event);
    });
    // the promise settles only on the first open or when ari-client's own retries give up (never here)
    client.start(this.opts.app, this.opts.subscribeAll ?? false).catch(() => undefined);
    const ws = this.client._ws;
    if (!ws) return this.close("ari-client opened no websocket");
    this.takeOver(this.client, ws);
  }

  /**
   * ari-client's API load never settles when a connection is reset (swagger-client has no error path
   * for it), so a refused attempt would wait for the connect timeout. Asking for the same document
   * first, on a fresh connection, makes an unreachable Asterisk or a refused login fail at once, with
   * a reason worth logging.
   */
  private probe(): Promise<void> {
    const url = new URL(`${this.opts.url.replace(/\/+$/, "")}/ari/api-docs/resources.json`);
    const get = url.protocol === "https:" ? https.get : http.get;
    return new Promise((resolve, reject) => {
      const req = get(url, { agent: false, auth: `${this.opts.user}:${this.opts.password}` }, (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode === 200
            ? resolve()
            : reject(new Error(`ARI answered ${res.statusCode} ${res.statusMessage ?? ""}`.trim())),
        );
        res.on("error", reject);
      });
      req.setTimeout(this.opts.connectTimeoutMs ?? 10_000, () =>
        req.destroy(new Error("ARI did not answer")),
      );
      req.on("error", reject);
    });
  }

  /**
   * ari-client loads its API description through Node's global agent, which keeps connections alive:
   * after a silent path, those idle connections are dead too and a load on one of them would hang.
   */
  private dropIdleConnections(): void {
    const url = new URL(this.opts.url);
    const agent = url.protocol === "https:" ? https.globalAgent : http.globalAgent;
    const port = url.port || (url.protocol === "https:" ? "443" : "80");
    for (const [name, sockets] of Object.entries(agent.freeSockets)) {
      if (!name.startsWith(`${url.hostname}:${port}:`)) continue;
      for (const socket of sockets ?? []) socket.destroy();
    }
  }

  /** Runs before any I/O of the new socket: its close, errors, messages and pongs are ours. */
  private takeOver(client: ClientInternals, ws: RawSocket): void {
    this.ws = ws;
    ws.prependListener("error", (err: Error) => {
      client._wsClosed = true;
      this.lastError = err.message;
    });
    ws.prependListener("close", (code: number, reason: unknown) => {
      client._wsClosed = true;
      this.end(this.lastError || `closed (${code} ${String(reason ?? "")})`);
    });
    const decode = ws.listeners("message")[0] as ((data: unknown) => void) | undefined;
    if (decode) ws.removeListener("message", decode);
    ws.on("message", (data: unknown) => this.onMessage(ws, decode, data));
    ws.on("pong", () => (this.lastPong = Date.now()));
    ws.once("open", () => this.onOpen(ws));
  }

  private onOpen(ws: RawSocket): void {
    if (this.ended) return;
    clearTimeout(this.connectTimer);
    this.lastPong = Date.now();
    const every = this.opts.pingIntervalMs;
    this.pingTimer = setInterval(() => this.ping(ws, every), every);
    this.pingTimer.unref();
    this.emit("open");
  }

  /** Pings an open socket only (pinging one that is closing throws); a silent one is torn down. */
  private ping(ws: RawSocket, every: number): void {
    if (ws.readyState !== OPEN) return;
    if (Date.now() - this.lastPong > every * 2.5) {
      this.opts.logger.warn({ silentMs: Date.now() - this.lastPong }, "ARI websocket silent; reconnecting");
      this.close("silent");
      return;
    }
    try {
      ws.ping();
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, "ARI websocket ping failed");
    }
  }

  private onMessage(ws: RawSocket, decode: ((data: unknown) => void) | undefined, data: unknown): void {
    this.lastPong = Date.now();
    if (this.ended) return;
    this.delivered = false;
    try {
      decode?.call(ws, data);
    } catch (err) {
      if (!this.delivered) this.undecoded(data, err);
    }
  }

  /** ari-client threw on a message (not JSON, or an event type its API description lacks). */
  private undecoded(data: unknown, err: unknown): void {
    const text = String(data);
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      this.opts.logger.warn({ bytes: text.length }, "ARI sent a message that is not JSON; ignored");
      return;
    }
    this.opts.logger.debug({ err: describe(err) }, "ari-client could not decode an ARI event; passed on raw");
    this.emit("message", event);
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.connectTimer);
    clearInterval(this.pingTimer);
    (this.client as EventEmitter | undefined)?.removeAllListeners();
    this.emit("close", reason, reason === "silent" ? this.lastPong : Date.now());
  }
}

/** ari-client's errors: an `Error`, or swagger's failure object, or Asterisk's raw body. */
function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err.cause as Error | undefined)?.message;
    return cause ? `${err.message}: ${cause}` : err.message || err.name;
  }
  if (typeof err === "string") return err;
  return JSON.stringify(err)?.slice(0, 200) ?? String(err);
}
