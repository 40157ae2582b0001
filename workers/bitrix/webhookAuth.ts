import { AuthFailed, type BitrixError } from "./errors.ts";
import { credentialHash, portalOf, withTrailingSlash, type AuthProvider } from "./auth.ts";

/** Incoming webhook: the secret lives in the URL path (`/rest/{userId}/{secret}/`), nothing to refresh. */
export function createWebhookAuth(webhookUrl: string): AuthProvider {
  const baseUrl = withTrailingSlash(webhookUrl);
  return {
    mode: "webhook",
    portal: portalOf(baseUrl),
    credentials: async () => ({ baseUrl }),
    async onTokenRejected(_used: string | undefined, error: BitrixError): Promise<void> {
      throw new AuthFailed(error.code, `webhook rejected: ${error.description}`, error.status);
    },
    state: () => "ok",
    fingerprint: async () => credentialHash(baseUrl),
    close: () => undefined,
  };
}
