/**
 * npm run emulator -- --port N [--host ADDR] [--plan standard|enterprise|box] [--seed FILE] [--rate-burst N --rate-drain N]
 *   [--no-rate-limit] [--operating-limit-sec N|off] [--command-cost-ms N] [--max-concurrent N]
 *   [--webhook-telephony=false] [--public-url URL] [--max-body-bytes N] [--max-upload-bytes N]
 */
import { parseArgs } from "node:util";
import type { EmulatorOptions, Plan } from "./options.ts";
import { loadSeedFile } from "./seed.ts";
import { startEmulator } from "./server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    plan: { type: "string" },
    seed: { type: "string" },
    "rate-burst": { type: "string" },
    "rate-drain": { type: "string" },
    "no-rate-limit": { type: "boolean" },
    "operating-limit-sec": { type: "string" },
    "command-cost-ms": { type: "string" },
    "max-concurrent": { type: "string" },
    "webhook-telephony": { type: "string" },
    "public-url": { type: "string" },
    "max-body-bytes": { type: "string" },
    "max-upload-bytes": { type: "string" },
  },
});

function number(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`--${name} expects a number, got ${text}`);
  return value;
}

function rateLimitOf(): EmulatorOptions["rateLimit"] {
  if (values["no-rate-limit"]) return null;
  const burst = number("rate-burst", values["rate-burst"]);
  const drain = number("rate-drain", values["rate-drain"]);
  if (burst === undefined && drain === undefined) return undefined;
  if (burst === undefined || drain === undefined)
    throw new Error("--rate-burst and --rate-drain go together");
  return { burst, drainPerSec: drain };
}

function optionsFromArgs(): EmulatorOptions {
  const plan = values.plan as Plan | undefined;
  if (plan && !["standard", "enterprise", "box"].includes(plan)) throw new Error(`unknown --plan ${plan}`);
  const operating = values["operating-limit-sec"];
  return {
    port: number("port", values.port) ?? 0,
    host: values.host,
    plan,
    seed: values.seed ? loadSeedFile(values.seed) : undefined,
    rateLimit: rateLimitOf(),
    operatingLimitSec: operating === "off" ? null : number("operating-limit-sec", operating),
    commandCostMs: number("command-cost-ms", values["command-cost-ms"]),
    maxConcurrent: number("max-concurrent", values["max-concurrent"]),
    webhookTelephony:
      values["webhook-telephony"] === undefined ? undefined : values["webhook-telephony"] !== "false",
    publicUrl: values["public-url"],
    maxBodyBytes: number("max-body-bytes", values["max-body-bytes"]),
    maxUploadBytes: number("max-upload-bytes", values["max-upload-bytes"]),
  };
}

const emulator = await startEmulator(optionsFromArgs());
console.log(JSON.stringify({ emulator: { url: emulator.url, port: emulator.port } }));
const stop = (): void => void emulator.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
