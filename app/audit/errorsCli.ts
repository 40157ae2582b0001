/**
 * `npm run errors`: error statistics by type for the last hour, day and week, from the running app's
 * `/status` (the same numbers monitoring reads at `.errors`).
 *
 *   --json                 the `.errors` object as JSON
 *   --alert-last-hour <n>  exit 1 when more than n errors happened in the last hour (for cron/monitoring)
 *   --url                  the app's HTTP API (default: http.host:http.port of the configuration)
 *
 * Exit 0: fine; 1: over the alert threshold; 2: bad arguments or configuration; 3: no answer.
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../../core/config/loadConfig.ts";
import type { StatusReport } from "../../core/status/statusReport.ts";
import { adminApi } from "./adminApi.ts";

type Window = Record<string, number> | null;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      "alert-last-hour": { type: "string" },
      url: { type: "string" },
    },
  });
  const threshold = values["alert-last-hour"] === undefined ? undefined : Number(values["alert-last-hour"]);
  if (threshold !== undefined && !(Number.isInteger(threshold) && threshold >= 0)) {
    console.error("errors: --alert-last-hour takes a whole number ≥ 0");
    return 2;
  }
  const answer = await adminApi(loadConfig(), "errors", values.url).call("/status");
  if (!answer.ok) return 3;
  const { errors } = answer.json as Pick<StatusReport, "errors">;
  if (values.json) console.log(JSON.stringify(errors, null, 2));
  else printTable(errors);
  const lastHour = total(errors.lastHour);
  return threshold !== undefined && lastHour > threshold ? 1 : 0;
}

function total(window: Window): number {
  return Object.values(window ?? {}).reduce((a, b) => a + b, 0);
}

function printTable(errors: StatusReport["errors"]): void {
  const types = [
    ...new Set([errors.lastHour, errors.lastDay, errors.lastWeek].flatMap((w) => Object.keys(w ?? {}))),
  ].sort();
  const cell = (w: Window, type: string) => (w === null ? "?" : String(w[type] ?? 0));
  const width = Math.max(10, ...types.map((t) => t.length));
  console.log(`${"type".padEnd(width)}  ${"hour".padStart(6)}  ${"day".padStart(6)}  ${"week".padStart(6)}`);
  for (const t of types) {
    const row = [errors.lastHour, errors.lastDay, errors.lastWeek].map((w) => cell(w, t).padStart(6));
    console.log(`${t.padEnd(width)}  ${row.join("  ")}`);
  }
  const totals = [errors.lastHour, errors.lastDay, errors.lastWeek].map((w) =>
    (w === null ? "?" : String(total(w))).padStart(6),
  );
  console.log(`${"total".padEnd(width)}  ${totals.join("  ")}`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`errors: ${err instanceof ConfigError ? err.message : String(err)}`);
    process.exit(2);
  },
);
