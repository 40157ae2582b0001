import { readFile, stat } from "node:fs/promises";
import type { Logger } from "../../core/logging/logger.ts";
import { AuthFailed, type BitrixError } from "./errors.ts";
import {
  credentialHash,
  portalOf,
  withTrailingSlash,
  type AuthProvider,
  type AuthState,
  type Credentials,
} from "./auth.ts";

/**
 * Offline (closed-network) tokens: long-lived tokens issued on the portal and pasted into one or more
 * JSON files, `{"access_token":"…"}` or `{"token":"…"}` (a bare token as the whole file works too).
 * The first file whose token the portal has not rejected is used ("first valid"); a rejected token is
 * skipped until its file changes. Files are re-read when their mtime/size changes (checked at most
 * once per `recheckMs` when a request needs a token). No OAuth server is ever contacted.
 */
export interface OfflineDeps {
  logger?: Logger;
  recheckMs?: number;
}

interface TokenFile {
  path: string;
  stamp: string; // mtime+size, to notice edits
  token?: string;
}

export function parseTokenFile(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  if (trimmed.startsWith("{")) {
    try {
      const json = JSON.parse(trimmed) as Record<string, unknown>;
      const token = json.access_token ?? json.token;
      return typeof token === "string" && token !== "" ? token : undefined;
    } catch {
      return undefined;
    }
  }
  return /^\S+$/.test(trimmed) ? trimmed : undefined;
}

export function createOfflineAuth(
  restUrl: string,
  tokenFiles: string[],
  deps: OfflineDeps = {},
): AuthProvider {
  const baseUrl = withTrailingSlash(restUrl);
  const recheckMs = deps.recheckMs ?? 1000;
  const files: TokenFile[] = tokenFiles.map((path) => ({ path, stamp: "" }));
  const rejected = new Set<string>();
  let checkedAt = 0;
  let state: AuthState = "ok";

  async function refreshFiles(force: boolean): Promise<void> {
    if (!force && Date.now() - checkedAt < recheckMs) return;
    checkedAt = Date.now();
    for (const file of files) {
      try {
        const s = await stat(file.path);
        const stamp = `${s.mtimeMs}:${s.size}`;
        if (stamp === file.stamp) continue;
        file.stamp = stamp;
        file.token = parseTokenFile(await readFile(file.path, "utf8"));
        if (file.token === undefined)
          deps.logger?.warn({ file: file.path }, "offline token file has no token");
        else deps.logger?.info({ file: file.path }, "offline token file (re)loaded");
      } catch {
        if (file.stamp !== "missing") deps.logger?.warn({ file: file.path }, "offline token file unreadable");
        file.stamp = "missing";
        file.token = undefined;
      }
    }
  }

  function firstValid(): string | undefined {
    return files.map((f) => f.token).find((t): t is string => t !== undefined && !rejected.has(t));
  }

  return {
    mode: "offline",
    portal: portalOf(baseUrl),
    async credentials(): Promise<Credentials> {
      await refreshFiles(false);
      let token = firstValid();
      if (token === undefined) {
        await refreshFiles(true);
        token = firstValid();
      }
      if (token === undefined) {
        state = "failed";
        throw new AuthFailed("NO_VALID_TOKEN", "no usable offline token in the token files");
      }
      state = "ok";
      return { baseUrl, token };
    },
    async onTokenRejected(usedToken: string | undefined, error: BitrixError): Promise<void> {
      if (usedToken !== undefined) rejected.add(usedToken);
      await refreshFiles(true);
      if (firstValid() === undefined) {
        state = "failed";
        throw new AuthFailed(
          error.code,
          `every offline token was rejected: ${error.description}`,
          error.status,
        );
      }
    },
    state: () => state,
    async fingerprint(): Promise<string> {
      await refreshFiles(false);
      return credentialHash(firstValid() ?? files.map((f) => f.token ?? f.stamp).join("|"));
    },
    forgetRejections: () => rejected.clear(),
    close: () => undefined,
  };
}
