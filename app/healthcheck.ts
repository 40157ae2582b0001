import { loadConfig } from "../core/config/loadConfig.ts";
import { appHealth, ownStatusUrl } from "../core/status/health.ts";

/**
 * `node dist/app/healthcheck.js`: the app container's healthcheck. Reads the same configuration as
 * the app (ITGRIX_CONFIG + ITGRIX__* overrides), asks its own `/status` and exits 0 when healthy, 1
 * otherwise, with one line saying why.
 */
const TIMEOUT_MS = 4_000;

async function main(): Promise<number> {
  const config = loadConfig();
  const headers: Record<string, string> = {};
  if (config.http.statusAuth && config.http.adminPassword) {
    const basic = Buffer.from(`${config.http.adminUser}:${config.http.adminPassword}`).toString("base64");
    headers.authorization = `Basic ${basic}`;
  }
  const res = await fetch(ownStatusUrl(config.http), { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const body: unknown = await res.json().catch(() => undefined);
  const verdict = appHealth(res.status, body);
  process.stdout.write(`${verdict.healthy ? "healthy" : "unhealthy"}: ${verdict.reason}\n`);
  return verdict.healthy ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stdout.write(`unhealthy: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
