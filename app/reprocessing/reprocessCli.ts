/**
 * `npm run reprocess -- --id <linkedid> [--id …] | --from <ISO> --to <ISO>`: re-processes past calls
 * through the running app's `/pbx/read_call` (one code path, its admin authentication, its run
 * records), then follows the run and prints one line per call.
 *
 *   --url <base>   the app's HTTP API (default: http.host:http.port of the configuration)
 *   --no-wait      print the run id and return at once
 *   --json         print the finished run as JSON
 *
 * Credentials: `http.adminUser` / `http.adminPassword` of the configuration (ITGRIX_CONFIG and
 * ITGRIX__HTTP__ADMINPASSWORD). Exit 0: every call is in the CRM or on its way; 1: some call needs a
 * look (error, failed, not found, still going on); 2: bad arguments or configuration; 3: the API
 * refused the request or could not be reached.
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../../core/config/loadConfig.ts";
import type { CallResult, RunRecord } from "./runStore.ts";

type Run = RunRecord & { calls: CallResult[] };

const NEEDS_A_LOOK = new Set(["error", "failed", "notFound", "inProgress"]);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      id: { type: "string", multiple: true },
      from: { type: "string" },
      to: { type: "string" },
      url: { type: "string" },
      "no-wait": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  const ids = values.id ?? [];
  if (ids.length === 0 && !values.from && !values.to) {
    console.error("usage: npm run reprocess -- --id <linkedid> [--id …] | --from <ISO> --to <ISO> [--url …]");
    return 2;
  }
  const config = loadConfig();
  if (!config.http.adminPassword) {
    console.error("reprocess: http.adminPassword is not configured (ITGRIX__HTTP__ADMINPASSWORD)");
    return 2;
  }
  const host = config.http.host === "0.0.0.0" ? "127.0.0.1" : config.http.host;
  const base = (values.url ?? `http://${host}:${config.http.port}`).replace(/\/+$/, "");
  const auth =
    "Basic " + Buffer.from(`${config.http.adminUser}:${config.http.adminPassword}`).toString("base64");
  const body = ids.length > 0 ? { id: ids } : { start_date: values.from, end_date: values.to };
  const started = await call(`${base}/pbx/read_call`, auth, body);
  if (!started.ok) return 3;
  const runId = (started.json as { run: string }).run;
  console.error(`run ${runId} started`);
  if (values["no-wait"]) {
    console.log(runId);
    return 0;
  }
  const run = await follow(`${base}/pbx/read_call/${runId}`, auth);
  if (!run) return 3;
  if (values.json) console.log(JSON.stringify(run, null, 2));
  else printRun(run);
  return run.state !== "done" || run.calls.some((c) => NEEDS_A_LOOK.has(c.outcome)) ? 1 : 0;
}

async function call(url: string, auth: string, body?: unknown): Promise<{ ok: boolean; json: unknown }> {
  try {
    const response = await fetch(url, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: auth, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const json: unknown = await response.json().catch(() => ({}));
    if (!response.ok) console.error(`reprocess: ${url}: HTTP ${response.status}: ${JSON.stringify(json)}`);
    return { ok: response.ok, json };
  } catch (err) {
    console.error(`reprocess: ${url}: ${(err as Error).message}`);
    return { ok: false, json: undefined };
  }
}

async function follow(url: string, auth: string): Promise<Run | undefined> {
  for (;;) {
    const answer = await call(url, auth);
    if (!answer.ok) return undefined;
    const run = answer.json as Run;
    if (run.state !== "queued" && run.state !== "running") return run;
    process.stderr.write(`\r${run.processed}/${run.total ?? "?"} calls`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function printRun(run: Run): void {
  process.stderr.write("\n");
  for (const c of run.calls) {
    const s = c.summary;
    const what = s
      ? `${s.direction} ${s.clientNumber} → ${s.lineNumber} status ${s.status} talk ${s.talkSec}s`
      : "";
    console.log(`${c.callId}\t${c.outcome}\t${what}${c.reason ? `\t${c.reason}` : ""}`);
  }
  const counts = Object.entries(run.counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  console.log(
    `run ${run.run}: ${run.state}, ${run.processed} calls (${counts})${run.truncated ? ", truncated" : ""}`,
  );
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`reprocess: ${err instanceof ConfigError ? err.message : String(err)}`);
    process.exit(2);
  },
);
