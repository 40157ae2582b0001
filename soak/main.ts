import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseSoakArgs, USAGE } from "./args.ts";
import { correct, reportJson, reportText } from "./report.ts";
import { runSoak } from "./run.ts";

/**
 * `npm run soak -- --cps N --minutes M [--json]`: a call-centre soak of the whole connector on the
 * real Asterisk (soak/README.md). Exit 0 when every call is in the CRM exactly once and right, 1 when
 * not, 2 when the soak itself could not run. Progress goes to stderr; the report to stdout.
 */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const log = (line: string) => process.stderr.write(`[soak] ${line}\n`);

async function main(): Promise<number> {
  const args = parseSoakArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const runDir = join(process.env.ITGRIX_CACHE_DIR || join(homedir(), ".cache", "itgrix"), "soak");
  const total = args.calls ?? Math.round(args.cps * args.minutes * 60);
  log(`${total} calls at ${args.cps}/s; run directory ${runDir}`);
  const result = await runSoak({ ...args, repo: REPO, runDir, log });
  process.stdout.write(`${reportText(result)}\n`);
  if (args.json) process.stdout.write(`${reportJson(result)}\n`);
  return correct(result) ? 0 : 1;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    process.stderr.write(`soak failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(2);
  });
