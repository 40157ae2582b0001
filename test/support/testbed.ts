import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestbedInfo } from "../../testbed/info.ts";

export type { TestbedInfo } from "../../testbed/info.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
let cached: TestbedInfo | undefined;

function parseInfo(text: string, source: string): TestbedInfo {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${source} is not JSON: ${text.slice(0, 200)}`);
  }
  const info = value as Partial<TestbedInfo>;
  if (!info.ari?.url || !info.sip?.port || !info.redis?.url || !info.asterisk?.root) {
    throw new Error(`${source} lacks ari/sip/redis/asterisk: ${text.slice(0, 200)}`);
  }
  return info as TestbedInfo;
}

/**
 * The running testbed: from env ITGRIX_TESTBED (the JSON `testbed up` printed) if set, else from
 * `testbed status`. Throws a clear error when the testbed is down.
 */
export async function getTestbed(): Promise<TestbedInfo> {
  if (cached) return cached;
  const fromEnv = process.env.ITGRIX_TESTBED;
  if (fromEnv) {
    cached = parseInfo(fromEnv, "ITGRIX_TESTBED");
    return cached;
  }
  const result = spawnSync(process.execPath, ["--import", "tsx", resolve(REPO, "testbed/cli.ts"), "status"], {
    cwd: REPO,
    encoding: "utf8",
    timeout: 30_000,
  });
  const lines = (result.stdout ?? "").trim().split("\n");
  const last = lines[lines.length - 1] ?? "";
  if (result.status !== 0) {
    throw new Error(
      `the testbed is down (${last || result.stderr.trim()}); start it with: npm run testbed -- up`,
    );
  }
  cached = parseInfo(last, "testbed status");
  return cached;
}

/** Basic auth header value for the testbed's ARI user. */
export function ariAuthHeader(info: TestbedInfo): string {
  return "Basic " + Buffer.from(`${info.ari.user}:${info.ari.password}`).toString("base64");
}

/**
 * Hangs up every channel the testbed's Asterisk holds. A test that fails half-way leaves calls whose
 * sipp processes are gone but whose channels Asterisk keeps (no RTP timeout on the testbed); they
 * would hold operators busy — and wait in the Stasis app, where the next app's resync would route
 * them — so every stack starts and ends with an empty Asterisk.
 */
export async function hangupAllChannels(info: TestbedInfo): Promise<number> {
  const headers = { authorization: ariAuthHeader(info) };
  const res = await fetch(`${info.ari.url}/ari/channels`, { headers, signal: AbortSignal.timeout(5000) });
  if (!res.ok) return 0;
  const channels = (await res.json()) as { id: string }[];
  for (const c of channels) {
    await fetch(`${info.ari.url}/ari/channels/${encodeURIComponent(c.id)}`, {
      method: "DELETE",
      headers,
    }).catch(() => undefined);
  }
  return channels.length;
}
