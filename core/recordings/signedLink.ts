import { createHmac, timingSafeEqual } from "node:crypto";
import { spoolFileUrlPath } from "./spoolPath.ts";

/**
 * Signed, expiring links to a recording in the spool (`crm.recordDelivery: "url"`): the workers hand
 * the portal `{http.publicUrl}/recordings/<file>?exp=<unix s>&sig=<HMAC>`, the app's HTTP API serves
 * the file to whoever presents a valid one. PURE: the key and the clock come in as arguments.
 *
 * sig = base64url(HMAC-SHA256(http.signingKey, `<file>\n<exp>`)), file = the path relative to the spool.
 */

export const DEFAULT_LINK_TTL_SEC = 24 * 3600;

const EXP = /^\d{1,12}$/;
const SIG = /^[A-Za-z0-9_-]{43}$/; // 32 bytes, base64url without padding

function mac(key: string, file: string, exp: number): Buffer {
  return createHmac("sha256", key).update(`${file}\n${exp}`, "utf8").digest();
}

/** The signature of `file` valid until `exp` (unix seconds). */
export function signRecording(key: string, file: string, exp: number): string {
  return mac(key, file, exp).toString("base64url");
}

export interface LinkInput {
  /** `http.publicUrl`: the API as the portal reaches it (may carry a path prefix). */
  publicUrl: string;
  /** Path relative to the recording spool. */
  file: string;
  key: string;
  nowMs: number;
  ttlSec?: number;
}

export function signedRecordingUrl(input: LinkInput): string {
  const exp = Math.floor(input.nowMs / 1000) + (input.ttlSec ?? DEFAULT_LINK_TTL_SEC);
  const sig = signRecording(input.key, input.file, exp);
  const base = input.publicUrl.replace(/\/+$/, "");
  return `${base}/recordings/${spoolFileUrlPath(input.file)}?exp=${exp}&sig=${sig}`;
}

export type LinkVerdict = { ok: true } | { ok: false; reason: "malformed" | "badSignature" | "expired" };

export interface VerifyInput {
  key: string;
  file: string;
  /** The `exp` and `sig` query values as received (anything: they come from the network). */
  exp: unknown;
  sig: unknown;
  nowMs: number;
}

/** Constant-time check of the signature first, then the expiry. */
export function verifyRecordingLink(input: VerifyInput): LinkVerdict {
  const { exp, sig } = input;
  if (typeof exp !== "string" || typeof sig !== "string" || !EXP.test(exp) || !SIG.test(sig)) {
    return { ok: false, reason: "malformed" };
  }
  const expected = mac(input.key, input.file, Number(exp));
  const presented = Buffer.from(sig, "base64url");
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    return { ok: false, reason: "badSignature" };
  }
  if (Number(exp) * 1000 <= input.nowMs) return { ok: false, reason: "expired" };
  return { ok: true };
}
