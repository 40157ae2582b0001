/**
 * `npm run audit`: asks the running app for a self-audit (`POST /audit`), follows it and prints the
 * report: what was found, what the audit repaired, and the calls that need a person.
 *
 *   npm run audit                         the configured period (audit.periodHours, ending audit.settleMinutes ago)
 *   npm run audit -- --from <ISO> --to <ISO>
 *   npm run audit -- latest               the last report, without running one
 *   --no-wait   print the audit id and return at once
 *   --json      print the report as JSON
 *   --url       the app's HTTP API (default: http.host:http.port of the configuration)
 *
 * Exit 0: nothing needs a person; 1: some call does (or the audit failed); 2: bad arguments or
 * configuration; 3: the API refused the request or could not be reached.
 */
import { parseArgs } from "node:util";
import type { AuditReport } from "../../core/audit/auditReport.ts";
import { ConfigError, loadConfig } from "../../core/config/loadConfig.ts";
import { adminApi } from "./adminApi.ts";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      from: { type: "string" },
      to: { type: "string" },
      url: { type: "string" },
      "no-wait": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  if (positionals.length > 1 || (positionals[0] && positionals[0] !== "latest")) {
    console.error(
      "usage: npm run audit -- [latest] [--from <ISO> --to <ISO>] [--no-wait] [--json] [--url …]",
    );
    return 2;
  }
  const config = loadConfig();
  if (!config.http.adminPassword) {
    console.error("audit: http.adminPassword is not configured (ITGRIX__HTTP__ADMINPASSWORD)");
    return 2;
  }
  const api = adminApi(config, "audit", values.url);
  let report: AuditReport | undefined;
  if (positionals[0] === "latest") {
    const answer = await api.call("/audit/latest");
    if (answer.status === 404) console.error("audit: no audit has run yet");
    if (!answer.ok) return 3;
    report = answer.json as AuditReport;
  } else {
    const period = values.from || values.to ? { start_date: values.from, end_date: values.to } : {};
    const started = await api.call("/audit", period);
    if (!started.ok) return 3;
    const { id } = started.json as { id: string };
    console.error(`audit ${id} requested`);
    if (values["no-wait"]) {
      console.log(id);
      return 0;
    }
    report = await follow(api, id);
    if (!report) return 3;
  }
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else printReport(report);
  return report.state !== "done" || report.counts.needsPerson > 0 ? 1 : 0;
}

async function follow(api: ReturnType<typeof adminApi>, id: string): Promise<AuditReport | undefined> {
  for (;;) {
    const answer = await api.call(`/audit/${id}`);
    if (!answer.ok) return undefined;
    const report = answer.json as AuditReport;
    if (report.state === "done" || report.state === "failed") return report;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function printReport(r: AuditReport): void {
  const found = Object.entries(r.counts.found)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  console.log(`audit ${r.id} (${r.trigger}): ${r.state}${r.error ? `: ${r.error}` : ""}`);
  console.log(`period ${r.period.from} – ${r.period.to}; portal statistics ${portalText(r)}`);
  console.log(
    `${r.counts.asterisk} calls in Asterisk's records, ${r.counts.ok} fine, ${r.counts.notCompared} not compared` +
      `${found ? `; found: ${found}` : ""}; repaired ${r.counts.repaired}; need a person ${r.counts.needsPerson}` +
      `${r.truncated ? " (period truncated: audit.maxCalls)" : ""}`,
  );
  for (const c of r.repaired) console.log(`repaired\t${c.callId}\t${c.problem}\t${c.action}`);
  for (const c of r.needsPerson)
    console.log(`PERSON\t${c.callId}\t${c.problem}\t${c.startedAt}\t${c.clientNumber}\t${c.why}`);
}

function portalText(r: AuditReport): string {
  if (r.portal.checked) return "compared";
  return r.portal.error ? `unavailable (${r.portal.error})` : "not compared (audit.checkPortal)";
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`audit: ${err instanceof ConfigError ? err.message : String(err)}`);
    process.exit(2);
  },
);
