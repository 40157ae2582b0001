import type { Config } from "../../core/config/schema.ts";

/** The running app's HTTP API as the command-line tools reach it (admin credentials of the configuration). */
export interface AdminApi {
  base: string;
  call(path: string, body?: unknown): Promise<{ ok: boolean; status: number; json: unknown }>;
}

export function adminApi(config: Config, tool: string, url?: string): AdminApi {
  const host = config.http.host === "0.0.0.0" ? "127.0.0.1" : config.http.host;
  const base = (url ?? `http://${host}:${config.http.port}`).replace(/\/+$/, "");
  const auth =
    "Basic " + Buffer.from(`${config.http.adminUser}:${config.http.adminPassword ?? ""}`).toString("base64");
  return {
    base,
    async call(path, body) {
      try {
        const response = await fetch(`${base}${path}`, {
          method: body === undefined ? "GET" : "POST",
          headers: {
            authorization: auth,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(30_000),
        });
        const json: unknown = await response.json().catch(() => ({}));
        if (!response.ok && response.status !== 404)
          console.error(`${tool}: ${path}: HTTP ${response.status}: ${JSON.stringify(json)}`);
        return { ok: response.ok, status: response.status, json };
      } catch (err) {
        console.error(`${tool}: ${base}${path}: ${(err as Error).message}`);
        return { ok: false, status: 0, json: undefined };
      }
    },
  };
}
