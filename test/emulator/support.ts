import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../../emulator/server.ts";

export const HOOK = "/rest/1/demo-webhook-secret";
export const ACCESS_TOKEN = "demo-access-token";
export const OFFLINE_TOKEN = "demo-offline-token";

export interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** One emulator per test file, on a random port, with small helpers around fetch. */
export class Portal {
  private constructor(readonly emulator: RunningEmulator) {}

  static async start(opts: EmulatorOptions = {}): Promise<Portal> {
    return new Portal(await startEmulator({ rateLimit: null, ...opts }));
  }

  get url(): string {
    return this.emulator.url;
  }

  close(): Promise<void> {
    return this.emulator.close();
  }

  async post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const response = await fetch(this.url + path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  async form(path: string, body: string): Promise<Reply> {
    const response = await fetch(this.url + path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
    });
    return { status: response.status, body: await response.json() };
  }

  async get(path: string): Promise<Reply> {
    const response = await fetch(this.url + path);
    return { status: response.status, body: await response.json() };
  }

  /** A call through the incoming webhook of the seed (user 1). */
  hook(method: string, params: Record<string, unknown> = {}): Promise<Reply> {
    return this.post(`${HOOK}/${method}`, params);
  }

  /** A call in the seed app's context (its never-expiring offline token, so clock moves do not matter). */
  app(method: string, params: Record<string, unknown> = {}, token = OFFLINE_TOKEN): Promise<Reply> {
    return this.post(`/rest/${method}`, { ...params, auth: token });
  }

  async control(method: "GET" | "POST" | "DELETE", name: string, body?: unknown): Promise<Reply> {
    const response = await fetch(`${this.url}/_emulator/${name}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async state(): Promise<any> {
    return (await this.control("GET", "state")).body;
  }

  reset(): Promise<Reply> {
    return this.control("POST", "reset");
  }

  advanceClock(ms: number): Promise<Reply> {
    return this.control("POST", "clock", { advanceMs: ms });
  }

  /** Registers an incoming call for operator 101 (user 2) and returns its CALL_ID. */
  async register(params: Record<string, unknown> = {}): Promise<string> {
    const reply = await this.app("telephony.externalcall.register", {
      USER_ID: 2,
      PHONE_NUMBER: "+74959999999",
      TYPE: 2,
      ...params,
    });
    if (reply.status !== 200) throw new Error(`register failed: ${JSON.stringify(reply.body)}`);
    return reply.body.result.CALL_ID as string;
  }
}
