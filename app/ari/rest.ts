import { Agent, fetch } from "undici";
import type { Logger } from "../../core/logging/logger.ts";
import { RequestGate } from "./requestGate.ts";
import type { AriBridge, AriChannel, AriEndpoint, AriLiveRecording } from "./types.ts";

/** An ARI REST call that failed, with its HTTP status. 0 = network error. */
export class AriHttpError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    message: string,
  ) {
    super(`ARI ${method} ${path} -> ${status || "network error"}: ${message}`);
    this.name = "AriHttpError";
  }
}

/** A 404 means the channel/bridge is already gone: expected in hangup races. */
export function isNotFound(err: unknown): boolean {
  return err instanceof AriHttpError && err.status === 404;
}

type Query = Record<string, string | number | boolean | undefined>;

/** A request this slow is logged (method, path, time): a sign of a dead path or an overloaded Asterisk. */
const SLOW_REQUEST_MS = 3000;

/** Attempts of `dial` on a channel just created (25 ms, 50 ms, … between them: about 2 s in all). */
const DIAL_ATTEMPTS = 12;

export interface DialOutParams {
  endpoint: string;
  channelId: string;
  app: string;
  appArgs: string;
  /** The channel the new one is dialled for: it inherits its linkedid, and shows its caller id. */
  originator?: string;
  /**
   * The channel `dial` names as the caller: the phone being called is shown its caller id (Asterisk
   * copies it into the new channel's connected line, which PJSIP sends as From). Default: originator.
   */
  dialCaller?: string;
  /** Caller id of the new channel (also shown on the phone being called). */
  callerId?: string;
  timeoutSec: number;
  variables?: Record<string, string>;
}

/** ARI REST over `fetch`: every endpoint the app needs, with status codes kept in AriHttpError. */
export class AriRest {
  private readonly base: string;
  private readonly auth: string;
  /** Caps the requests in flight to Asterisk (`ari.maxConcurrentRequests`); the rest queue here. */
  readonly gate: RequestGate;

  /**
   * Keep-alive connections to Asterisk. Replaced by `dropConnections` when the websocket is lost: a
   * pooled connection over the same dead path would otherwise carry the resync's requests into their
   * full timeout (the silent-path chaos test recovered in 3 s or 10 s depending on which connection
   * the resync's GET /channels got).
   */
  private pool = new Agent();

  constructor(
    url: string,
    user: string,
    password: string,
    private readonly timeoutMs = 10_000,
    maxConcurrent = 50,
    private readonly logger?: Logger,
  ) {
    this.base = url.replace(/\/+$/, "") + "/ari";
    this.auth = "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
    this.gate = new RequestGate(maxConcurrent);
  }

  /** New requests open fresh connections; requests in flight finish (or time out) on the old ones. */
  dropConnections(): void {
    const old = this.pool;
    this.pool = new Agent();
    old.close().catch(() => undefined);
  }

  /** One request, in its turn; its timeout runs from when it is sent, not while it queues. */
  request<T = unknown>(method: string, path: string, query: Query = {}, body?: unknown): Promise<T> {
    return this.gate.run(() => this.send<T>(method, path, query, body));
  }

  private async send<T>(method: string, path: string, query: Query, body: unknown): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    let res: Awaited<ReturnType<typeof fetch>>;
    let text: string;
    const startedAt = Date.now();
    try {
      res = await fetch(`${this.base}${path}${qs ? `?${qs}` : ""}`, {
        method,
        headers: { authorization: this.auth, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
        dispatcher: this.pool,
      });
      text = await res.text();
    } catch (err) {
      throw new AriHttpError(0, method, path, (err as Error).message);
    } finally {
      const ms = Date.now() - startedAt;
      if (ms >= SLOW_REQUEST_MS) this.logger?.warn({ method, path, ms }, "slow ARI request");
    }
    if (!res.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        /* plain-text error body */
      }
      throw new AriHttpError(res.status, method, path, message);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Asterisk's system and config info (systemname is `config.name`, the entity id `system.entity_id`). */
  getAsteriskInfo(): Promise<unknown> {
    return this.request("GET", "/asterisk/info");
  }
  listChannels(): Promise<AriChannel[]> {
    return this.request("GET", "/channels");
  }
  getChannel(id: string): Promise<AriChannel> {
    return this.request("GET", `/channels/${enc(id)}`);
  }
  async getVariable(id: string, variable: string): Promise<string | undefined> {
    const r = await this.request<{ value?: string }>("GET", `/channels/${enc(id)}/variable`, { variable });
    return r.value;
  }
  setVariable(id: string, variable: string, value: string): Promise<void> {
    return this.request("POST", `/channels/${enc(id)}/variable`, { variable, value });
  }
  /**
   * A new channel dialled from inside Stasis (`/channels/create` + `/dial`, not `originate`): the
   * channel is in the app from its creation (StasisStart with state Down) and answers inside it (Dial
   * ANSWER, state Up), so a phone answered while the app is away stays in Stasis, answered, and the
   * app connects it when it is back (an originated channel would be hung up: Stasis() fails then).
   * A dial that fails at once hangs the created channel up again.
   */
  async dialOut(p: DialOutParams): Promise<void> {
    const callerId = p.callerId ? { "CALLERID(num)": p.callerId, "CALLERID(name)": p.callerId } : {};
    const query: Query = {
      endpoint: p.endpoint,
      app: p.app,
      appArgs: p.appArgs,
      channelId: p.channelId,
      originator: p.originator,
    };
    await this.request("POST", "/channels/create", query, { variables: { ...callerId, ...p.variables } });
    try {
      await this.dialCreated(p.channelId, p.dialCaller ?? p.originator, p.timeoutSec);
    } catch (err) {
      await this.hangup(p.channelId).catch(() => undefined);
      throw err;
    }
  }

  /**
   * `create` can answer before the new channel has entered Stasis, and `dial` refuses it until then
   * (409 "Channel not in Stasis application"): try again for a moment.
   */
  private async dialCreated(id: string, caller: string | undefined, timeoutSec: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.request("POST", `/channels/${enc(id)}/dial`, { caller, timeout: timeoutSec });
      } catch (err) {
        if (!(err instanceof AriHttpError && err.status === 409) || attempt >= DIAL_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, 25 * attempt));
      }
    }
  }
  /** Leaves Stasis and goes on in the dialplan after the `Stasis()` that brought the channel in. */
  continueInDialplan(id: string): Promise<void> {
    return this.request("POST", `/channels/${enc(id)}/continue`);
  }
  answer(id: string): Promise<void> {
    return this.request("POST", `/channels/${enc(id)}/answer`);
  }
  ring(id: string): Promise<void> {
    return this.request("POST", `/channels/${enc(id)}/ring`);
  }
  ringStop(id: string): Promise<void> {
    return this.request("DELETE", `/channels/${enc(id)}/ring`);
  }
  hangup(id: string, reason = "normal"): Promise<void> {
    return this.request("DELETE", `/channels/${enc(id)}`, { reason });
  }
  play(id: string, media: string, playbackId?: string): Promise<unknown> {
    return this.request("POST", `/channels/${enc(id)}/play`, { media, playbackId });
  }
  listBridges(): Promise<AriBridge[]> {
    return this.request("GET", "/bridges");
  }
  createBridge(bridgeId: string, type = "mixing"): Promise<AriBridge> {
    return this.request("POST", "/bridges", { type, bridgeId, name: bridgeId });
  }
  addToBridge(bridgeId: string, channels: string[]): Promise<void> {
    return this.request("POST", `/bridges/${enc(bridgeId)}/addChannel`, { channel: channels.join(",") });
  }
  destroyBridge(bridgeId: string): Promise<void> {
    return this.request("DELETE", `/bridges/${enc(bridgeId)}`);
  }
  recordBridge(bridgeId: string, name: string, format: string): Promise<AriLiveRecording> {
    return this.request("POST", `/bridges/${enc(bridgeId)}/record`, { name, format, ifExists: "overwrite" });
  }
  getLiveRecording(name: string): Promise<AriLiveRecording> {
    return this.request("GET", `/recordings/live/${enc(name)}`);
  }
  getStoredRecording(name: string): Promise<{ name: string; format: string }> {
    return this.request("GET", `/recordings/stored/${enc(name)}`);
  }
  getEndpoint(tech: string, resource: string): Promise<AriEndpoint> {
    return this.request("GET", `/endpoints/${enc(tech)}/${enc(resource)}`);
  }
  subscribe(app: string, eventSource: string): Promise<void> {
    return this.request("POST", `/applications/${enc(app)}/subscription`, { eventSource });
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}
