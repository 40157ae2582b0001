import { parseArgs } from "node:util";
import type { RecordDelivery } from "./setup.ts";

/** `npm run soak -- --cps N --minutes M [--json] …` (`--help` lists everything). Pure. */
export interface SoakArgs {
  cps: number;
  minutes: number;
  calls?: number;
  json: boolean;
  seed: number;
  workers: number;
  httpPort: number;
  emulatorPort: number;
  recordDelivery: RecordDelivery;
  attended: boolean;
  attendedEvery: number;
  settleTimeoutSec: number;
  keepRecordings: boolean;
  help: boolean;
}

export const USAGE = `npm run soak -- --cps N --minutes M [options]
  --cps N                 calls started per second (default 2; fractions allowed, e.g. 0.5)
  --minutes M             how long calls are started (default 10; fractions allowed)
  --calls N               place exactly N calls instead of cps × minutes
  --json                  end stdout with one JSON line
  --workers N             worker processes (default 2)
  --record-delivery MODE  upload (default) or url (signed links the portal fetches)
  --no-attended           no attended transfers (they need linphonec)
  --attended-every N      every N-th call is an attended transfer (default 40)
  --settle-timeout-sec N  longest wait for the CRM after the last call (default 300)
  --seed N                call mix seed (default 1)
  --keep-recordings       keep the run's recordings in the testbed's spool
  --http-port N, --emulator-port N   (defaults 8077, 18091)`;

export function parseSoakArgs(argv: string[]): SoakArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      cps: { type: "string" },
      minutes: { type: "string" },
      calls: { type: "string" },
      json: { type: "boolean", default: false },
      seed: { type: "string" },
      workers: { type: "string" },
      "http-port": { type: "string" },
      "emulator-port": { type: "string" },
      "record-delivery": { type: "string" },
      "no-attended": { type: "boolean", default: false },
      "attended-every": { type: "string" },
      "settle-timeout-sec": { type: "string" },
      "keep-recordings": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  const number = (name: string, text: string | undefined, fallback: number, min: number, integer = true) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
      throw new Error(`--${name} expects ${integer ? "an integer" : "a number"} ≥ ${min}, got ${text}`);
    return n;
  };
  const delivery = values["record-delivery"] ?? "upload";
  if (delivery !== "upload" && delivery !== "url")
    throw new Error(`--record-delivery expects upload or url, got ${delivery}`);
  const cps = number("cps", values.cps, 2, 0.01, false);
  if (cps > 20) throw new Error(`--cps ${cps} is more than the soak's 200 caller ports can carry`);
  return {
    cps,
    minutes: number("minutes", values.minutes, 10, 0.01, false),
    ...(values.calls === undefined ? {} : { calls: number("calls", values.calls, 0, 1) }),
    json: values.json ?? false,
    seed: number("seed", values.seed, 1, 0),
    workers: number("workers", values.workers, 2, 1),
    httpPort: number("http-port", values["http-port"], 8077, 1),
    emulatorPort: number("emulator-port", values["emulator-port"], 18091, 1),
    recordDelivery: delivery,
    attended: !values["no-attended"],
    attendedEvery: number("attended-every", values["attended-every"], 40, 2),
    settleTimeoutSec: number("settle-timeout-sec", values["settle-timeout-sec"], 300, 1),
    keepRecordings: values["keep-recordings"] ?? false,
    help: values.help ?? false,
  };
}
