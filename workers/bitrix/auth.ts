import { createHash } from "node:crypto";
import type { BitrixError } from "./errors.ts";

/** Where requests go and which token they carry; implemented per auth mode (webhook, oauth, offline). */
export interface Credentials {
  /** Base URL the method name is appended to (`…/rest/1/secret/` or `…/rest/`). Never logged as is. */
  baseUrl: string;
  /** Access token sent as the `auth` parameter; none for a webhook. */
  token?: string;
}

export type AuthState = "ok" | "refreshing" | "failed";

export interface AuthProvider {
  readonly mode: "webhook" | "oauth" | "offline";
  /** Portal id used in Redis keys (the host of the REST URL). */
  readonly portal: string;
  credentials(): Promise<Credentials>;
  /**
   * The portal rejected `usedToken` (401 expired_token / invalid_token). Resolves when another attempt
   * is worth making (token refreshed, next offline token chosen); throws `AuthFailed` otherwise.
   */
  onTokenRejected(usedToken: string | undefined, error: BitrixError): Promise<void>;
  state(): AuthState;
  /**
   * A short hash of the credentials a request would carry now (webhook URL, current access token,
   * first usable token file). It changes when an admin fixes credentials, which lets a held delivery
   * probe at once. Never the credentials themselves.
   */
  fingerprint(): Promise<string>;
  /** A hold is being probed: give credentials refused earlier another chance (offline token files). */
  forgetRejections?(): void;
  close(): void;
}

/** A non-reversible short hash for `fingerprint()`. */
export function credentialHash(value: string | undefined): string {
  if (value === undefined || value === "") return "none";
  return createHash("sha256").update(value).digest("hex").slice(0, 16);
}

/** The portal id lives in core: the app reads the user directory under the same key. */
export { portalOf } from "../../core/crm/portal.ts";

export function withTrailingSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}
