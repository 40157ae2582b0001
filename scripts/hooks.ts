/**
 * `npm run hooks -- <command>`: the integrators' tool for customization hooks (docs/hooks.md).
 *
 *   list [--json]        every hook point: where and when it runs, its input and value
 *   check [--folder DIR] type-check and load the customization folder (hooks.folder of ITGRIX_CONFIG);
 *                        exit 1 with every error
 *   replay <callId | state.json> [--json]
 *                        run a stored call (Redis, or a CallState JSON file) through the configured
 *                        customizations against an in-process emulator; print the CRM commands
 *
 * The configuration comes from ITGRIX_CONFIG (and ITGRIX__* overrides), as for the app and workers.
 */
import { ConfigError, loadConfig, parseConfig } from "../core/config/loadConfig.ts";
import type { Config } from "../core/config/schema.ts";
import { HookSystem } from "../core/hooks/hookSystem.ts";
import { checkFolder } from "../core/hooks/tools/checkFolder.ts";
import { formatListing, listPoints } from "../core/hooks/tools/listPoints.ts";
import { createLogger } from "../core/logging/logger.ts";
import { formatReplay, loadCallState, replayCall } from "./hooksReplay.ts";

const USAGE =
  "usage: npm run hooks -- list [--json] | check [--folder DIR] | replay <callId | state.json> [--json]";

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === "list") return list(args.includes("--json"));
  if (command === "check") return check(valueOf(args, "--folder"));
  if (command === "replay" && args[0] && !args[0].startsWith("--"))
    return replay(args[0], args.includes("--json"));
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

async function list(json: boolean): Promise<number> {
  const config = process.env.ITGRIX_CONFIG ? loadConfig() : undefined;
  let layersOf;
  if (config) {
    const hooks = await new HookSystem({
      config: { ...config, hooks: { ...config.hooks, watch: false } },
      logger: quiet(),
    }).start();
    layersOf = (point: Parameters<typeof hooks.runner.layersOf>[0]) => hooks.runner.layersOf(point);
  }
  const points = listPoints(layersOf);
  process.stdout.write(json ? `${JSON.stringify(points, null, 2)}\n` : formatListing(points));
  return 0;
}

async function check(folderArg: string | undefined): Promise<number> {
  const config: Config = loadConfig();
  const folder = folderArg ?? config.hooks.folder;
  if (!folder) {
    process.stderr.write(
      "no folder: set hooks.folder in the configuration (ITGRIX_CONFIG) or pass --folder DIR\n",
    );
    return 2;
  }
  const report = await checkFolder(folder, config, quiet());
  process.stdout.write(`${report.lines.join("\n")}\n`);
  return report.ok ? 0 : 1;
}

async function replay(target: string, json: boolean): Promise<number> {
  const config: Config = process.env.ITGRIX_CONFIG ? loadConfig() : parseConfig({});
  const state = await loadCallState(config, target);
  const result = await replayCall(config, state, quiet());
  process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : formatReplay(result));
  return result.outcome.status === "delivered" || result.outcome.status === "waiting" ? 0 : 1;
}

function valueOf(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Module setup warnings still reach stderr; the info lines of loading would only clutter the output. */
function quiet() {
  return createLogger("hooks", "warn");
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message =
      err instanceof ConfigError
        ? err.message
        : err instanceof Error
          ? (err.stack ?? err.message)
          : String(err);
    process.stderr.write(`${message}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
