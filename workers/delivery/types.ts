import type { Readable } from "node:stream";

/**
 * The contract between the call reconciler (workers/calls) and the delivery pipeline
 * (workers/delivery: micro-batcher → cluster limiter → parallel senders → Bitrix24).
 */

/** Interactive commands (register+show while a phone rings, hide on answer) overtake bulk ones. */
export type Lane = "interactive" | "bulk";

/**
 * A reference to a field of an earlier command of the same group, e.g. finish's CALL_ID taken from
 * the register sent in the same batch. The batcher keeps a group inside one batch and writes the
 * reference as `$result[<key>][CALL_ID]`.
 */
export interface ResultRef {
  $ref: number; // index of the earlier command in the group
  path: string[]; // e.g. ["CALL_ID"]
}

export type ParamValue =
  string | number | boolean | null | ResultRef | ParamValue[] | { [k: string]: ParamValue };

export interface CrmCommand {
  /** Bitrix24 method, e.g. `telephony.externalcall.register`. */
  method: string;
  params: Record<string, ParamValue>;
}

/**
 * Commands of one call that must run in this order. The whole group travels in one batch (so
 * `$ref`s resolve); groups of one call are never reordered.
 */
export interface CommandGroup {
  callId: string;
  lane: Lane;
  commands: CrmCommand[];
}

export interface CrmErrorInfo {
  /** Portal error code (`ERROR_CORE`, `QUERY_LIMIT_EXCEEDED`, …) or a local one (`NETWORK`, `TIMEOUT`). */
  code: string;
  description: string;
  /** HTTP status when the error came with one (a batch sub-command error has none). */
  status?: number;
  /** True for errors that another attempt may fix (network, 5xx, timeouts, rate limits). */
  retryable: boolean;
}

export type CommandResult = { ok: true; result: unknown } | { ok: false; error: CrmErrorInfo };

/** What the delivery pipeline offers the reconciler. */
export interface CrmDelivery {
  /**
   * Sends a group and resolves with one result per command, in order. Only what the portal provably
   * did not run is retried inside the pipeline (503 rate limit, 429, a connection that failed before
   * sending, an expired OAuth token); everything else rejects at once with a `DeliveryError`:
   * `ambiguous` (it may have run: timeout or reset after sending, 5xx, unreadable 200), `held` (the
   * whole portal refuses), `permanent_error` (this request was refused), or `retries_exhausted`.
   * Errors of single commands inside a batch come back as `{ok:false}` results.
   */
  send(group: CommandGroup): Promise<CommandResult[]>;
  close(): Promise<void>;
}

/**
 * A file for an `uploadUrl` (attachRecord's second step): one multipart POST outside any batch, but
 * still one request against the portal's leaky bucket.
 */
export interface FileUpload {
  /** The call the file belongs to (for the log). */
  callId: string;
  /** Carries a token: never logged. */
  uploadUrl: string;
  fieldName: string;
  fileName: string;
  /** Opens the file afresh: a stream is read once, and every attempt needs a whole one. */
  open: () => Readable;
}

/** The delivery pipeline with file uploads (what the reconciler uses). */
export interface CrmFileDelivery extends CrmDelivery {
  /**
   * Posts the file through the cluster limiter (bulk lane), with the same retries as a batch.
   * Resolves with the portal's answer; rejects with a `DeliveryError` (`permanent_error` when the
   * portal refused the file for good).
   */
  upload(file: FileUpload): Promise<unknown>;
}
