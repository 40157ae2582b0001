import type { BitrixAuthConfig } from "../config/schema.ts";

/** Portal id used in Redis keys shared by app and workers: the host of the REST URL. */
export function portalOf(url: string): string {
  try {
    return new URL(url).host || "portal";
  } catch {
    return "portal";
  }
}

/** The portal id of a configured `bitrix.auth` (webhook URL or REST URL). */
export function portalOfAuth(auth: BitrixAuthConfig): string {
  return portalOf(auth.type === "webhook" ? auth.webhookUrl : auth.restUrl);
}
