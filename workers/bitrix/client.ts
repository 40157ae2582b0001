import type { Readable } from "node:stream";
import ky from "ky";
import { redactUrl, type Logger } from "../../core/logging/logger.ts";
import type { AuthProvider, AuthState } from "./auth.ts";
import {
  AuthFailed,
  BitrixError,
  NetworkError,
  RequestTimeout,
  ServerError,
  classifyError,
  type ErrorBody,
} from "./errors.ts";
import { provedUnsent, trackRequest } from "./requestTrack.ts";
import { postMultipart } from "./upload.ts";

/** The `time` block of an answer; `operating` is the method's accumulated execution time (s). */
export interface BitrixTime {
  start?: number;
  finish?: number;
  duration?: number;
  processing?: number;
  date_start?: string;
  date_finish?: string;
  operating?: number;
  operating_reset_at?: number;
}

export interface MethodResponse<T = unknown> {
  result: T;
  total?: number;
  next?: number;
  time?: BitrixTime;
}

/** `batch` answer; the portal serialises empty sections as `[]`, normalised here to `{}`. */
export interface BatchResponse {
  result: Record<string, unknown>;
  result_error: Record<string, unknown>;
  result_total: Record<string, unknown>;
  result_next: Record<string, unknown>;
  result_time: Record<string, BitrixTime>;
  time?: BitrixTime;
}

export interface BitrixClientOptions {
  auth: AuthProvider;
  requestTimeoutMs: number;
  logger?: Logger;
}

/** Codes after which the token (not the request) is the problem: the auth provider gets a say. */
const TOKEN_CODES = new Set(["expired_token", "invalid_token", "NO_AUTH_FOUND"]);
const MAX_AUTH_RETRIES = 2;

function section<T>(value: unknown): Record<string, T> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, T>)
    : {};
}

/**
 * Bitrix24 REST client: one request, typed errors, token refresh after 401. It does not retry other
 * failures nor pace requests: that is the delivery pipeline's job (limiter, backoff).
 */
export class BitrixClient {
  private authFailed = false;
  private clockOffsetMs = 0;

  constructor(private readonly options: BitrixClientOptions) {}

  get auth(): AuthProvider {
    return this.options.auth;
  }

  /**
   * Portal clock minus ours (ms), learnt from the `time.finish` of answers. `operating_reset_at` is
   * portal time; `toLocalTime` turns it into ours, so a skewed clock does not stretch a pause.
   */
  portalClockOffsetMs(): number {
    return this.clockOffsetMs;
  }

  toLocalTime(portalMs: number): number {
    return portalMs - this.clockOffsetMs;
  }

  authState(): AuthState {
    const state = this.options.auth.state();
    return state === "ok" && this.authFailed ? "failed" : state;
  }

  /** Calls one method; `params` are sent as a JSON body. */
  async callMethod<T = unknown>(
    method: string,
    params: Record<string, unknown> = {},
  ): Promise<MethodResponse<T>> {
    const body = await this.request(method, params);
    const out: MethodResponse<T> = { result: body.result as T };
    if (typeof body.total === "number") out.total = body.total;
    if (typeof body.next === "number") out.next = body.next;
    if (body.time) out.time = body.time as BitrixTime;
    return out;
  }

  /** `cmds`: key → `method?query` (see queryString.ts). `halt`: stop at the first failing command. */
  async callBatch(cmds: Record<string, string>, halt = false): Promise<BatchResponse> {
    const body = await this.request("batch", { halt: halt ? 1 : 0, cmd: cmds }, Object.keys(cmds).length);
    // A 200 without the batch's sections cannot say which command ran: as ambiguous as no answer.
    if (!isBatchResult(body.result)) {
      throw new ServerError("BAD_RESPONSE", "batch: the answer has no result sections", 200);
    }
    const inner = section<unknown>(body.result);
    const out: BatchResponse = {
      result: section(inner.result),
      result_error: section(inner.result_error),
      result_total: section(inner.result_total),
      result_next: section(inner.result_next),
      result_time: section<BitrixTime>(inner.result_time),
    };
    if (body.time) out.time = body.time as BitrixTime;
    return out;
  }

  /** Posts a recording to the `uploadUrl` that `attachRecord` returned (multipart, streamed). */
  async uploadFile(
    uploadUrl: string,
    fieldName: string,
    fileName: string,
    data: Buffer | Readable,
  ): Promise<unknown> {
    const { status, text } = await postMultipart(
      uploadUrl,
      fieldName,
      fileName,
      data,
      this.options.requestTimeoutMs,
    );
    const body = parseJson(text);
    if (status >= 200 && status < 300 && body && body.error === undefined) return body.result ?? body;
    throw classifyError(status, body as ErrorBody | undefined, "upload");
  }

  private async request(
    method: string,
    params: Record<string, unknown>,
    size?: number,
  ): Promise<Record<string, unknown>> {
    for (let authAttempt = 0; ; authAttempt++) {
      const creds = await this.options.auth.credentials();
      try {
        const body = await this.post(
          creds.baseUrl + method,
          creds.token ? { ...params, auth: creds.token } : params,
          method,
        );
        this.authFailed = false;
        return body;
      } catch (err) {
        if (err instanceof AuthFailed || (err instanceof BitrixError && err.code === "expired_token")) {
          if (!TOKEN_CODES.has(err.code) || authAttempt >= MAX_AUTH_RETRIES) {
            if (err instanceof AuthFailed) this.authFailed = true;
            throw err;
          }
          this.options.logger?.warn({ method, code: err.code, size }, "token rejected, renewing");
          try {
            await this.options.auth.onTokenRejected(creds.token, err);
          } catch (authErr) {
            if (authErr instanceof AuthFailed) this.authFailed = true;
            throw authErr;
          }
          continue;
        }
        throw err;
      }
    }
  }

  private learnClock(body: Record<string, unknown> | undefined): void {
    const finish = Number((body?.time as BitrixTime | undefined)?.finish);
    if (Number.isFinite(finish) && finish > 0) this.clockOffsetMs = Math.round(finish * 1000 - Date.now());
  }

  private async post(
    url: string,
    payload: Record<string, unknown>,
    method: string,
  ): Promise<Record<string, unknown>> {
    let response: Response;
    let text: string;
    const track = trackRequest();
    try {
      response = await ky.post(url, {
        json: payload,
        headers: track.headers,
        retry: 0,
        throwHttpErrors: false,
        timeout: this.options.requestTimeoutMs,
      });
      text = await response.text();
    } catch (err) {
      const sent = !provedUnsent(err, track);
      if (err instanceof Error && err.name === "TimeoutError")
        throw new RequestTimeout(this.options.requestTimeoutMs, sent);
      const reason =
        err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : "error";
      throw new NetworkError(`${method}: ${redactUrl(reason)}`, sent);
    } finally {
      track.end();
    }
    const body = parseJson(text);
    this.learnClock(body);
    if (response.ok && body && body.error === undefined) return body;
    if (response.ok && !body)
      throw new ServerError("BAD_RESPONSE", `${method}: answer is not JSON`, response.status);
    throw classifyError(response.status, body as ErrorBody | undefined, method);
  }
}

function isBatchResult(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "result" in value;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
