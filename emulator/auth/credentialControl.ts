import { randomBytes } from "node:crypto";
import { z } from "zod";
import { RestError } from "../errors.ts";
import type { TokenStore } from "./tokens.ts";

/**
 * What an admin does to a portal's credentials (POST /_emulator/credentials): revoke or restore an
 * incoming webhook, an app (all its access and refresh tokens) or one offline token; narrow the scopes
 * of a webhook or an app; issue a fresh offline token (what a closed-network admin pastes into a new
 * token file). Revocations and scopes are cleared by a reset; issued tokens stay, like all tokens.
 */

/** Scopes a credential has when none were set: everything the connector uses. */
export const ALL_SCOPES = ["crm", "telephony", "user", "im", "call"] as const;

const target = {
  /** `<userId>/<secret>` of an incoming webhook. */
  webhook: z
    .string()
    .regex(/^\d+\/.+$/, "userId/secret expected")
    .optional(),
  /** An app's client_id. */
  app: z.string().min(1).optional(),
  offlineToken: z.string().min(1).optional(),
};

export const credentialsSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("revoke"), ...target }),
  z.object({ action: z.literal("restore"), ...target }),
  z.object({ action: z.literal("scopes"), ...target, scopes: z.array(z.string().min(1)).nullable() }),
  z.object({ action: z.literal("issueOfflineToken"), userId: z.number().int().positive().default(1) }),
]);

export type CredentialsInput = z.infer<typeof credentialsSchema>;

/** The key of a credential in revocations and scopes. */
export type CredentialKey = `webhook:${string}` | `app:${string}` | `offline:${string}`;

export class CredentialControl {
  private readonly revoked = new Set<CredentialKey>();
  private readonly scopes = new Map<CredentialKey, Set<string>>();

  constructor(private readonly tokens: TokenStore) {}

  isRevoked(key: CredentialKey): boolean {
    return this.revoked.has(key);
  }

  /** True when `key` was granted `scope` (every scope unless narrowed). */
  hasScope(key: CredentialKey, scope: string): boolean {
    const granted = this.scopes.get(key);
    return granted === undefined || granted.has(scope);
  }

  scopeList(key: CredentialKey): string[] {
    return [...(this.scopes.get(key) ?? ALL_SCOPES)];
  }

  apply(input: CredentialsInput): Record<string, unknown> {
    if (input.action === "issueOfflineToken") {
      const token = `offline-${randomBytes(12).toString("hex")}`;
      this.tokens.addOffline(token, input.userId);
      return { ok: true, token };
    }
    const key = keyOf(input);
    if (input.action === "revoke") this.revoked.add(key);
    if (input.action === "restore") this.revoked.delete(key);
    if (input.action === "scopes") {
      if (input.scopes === null) this.scopes.delete(key);
      else this.scopes.set(key, new Set(input.scopes));
    }
    return { ok: true, credential: key, revoked: this.revoked.has(key), scopes: this.scopeList(key) };
  }

  clear(): void {
    this.revoked.clear();
    this.scopes.clear();
  }

  describe(): Record<string, unknown> {
    return {
      revoked: [...this.revoked].map(redact),
      scopes: Object.fromEntries([...this.scopes].map(([k, v]) => [redact(k), [...v]])),
    };
  }
}

function keyOf(input: { webhook?: string; app?: string; offlineToken?: string }): CredentialKey {
  const given = [input.webhook, input.app, input.offlineToken].filter((v) => v !== undefined);
  if (given.length !== 1)
    throw new RestError(400, "INVALID_REQUEST", "name one of webhook, app, offlineToken");
  if (input.webhook !== undefined) return `webhook:${input.webhook}`;
  if (input.app !== undefined) return `app:${input.app}`;
  return `offline:${input.offlineToken!}`;
}

/** Secrets are not echoed back in full by the state endpoint. */
function redact(key: CredentialKey): string {
  return key.replace(/^(webhook:\d+\/|offline:)(.{4}).*$/, "$1$2…");
}
