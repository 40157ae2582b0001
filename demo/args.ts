import { parseArgs } from "node:util";

/** `npm run demo -- [--calls N] [--exit] [--seed N] [--concurrency N] [--spacing-ms N] [--http-port N] [--emulator-port N]` */
export interface DemoArgs {
  /** Calls to place; undefined = keep going until Ctrl-C. */
  calls?: number;
  /** After the calls: wait for the CRM, check, print the JSON summary and exit. */
  exit: boolean;
  seed: number;
  concurrency: number;
  spacingMs: number;
  httpPort: number;
  emulatorPort: number;
  workers: number;
  /** Longest wait for the CRM after the last call ended (--exit). */
  settleTimeoutSec: number;
}

export function parseDemoArgs(argv: string[]): DemoArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      calls: { type: "string" },
      exit: { type: "boolean", default: false },
      seed: { type: "string" },
      concurrency: { type: "string" },
      "spacing-ms": { type: "string" },
      "http-port": { type: "string" },
      "emulator-port": { type: "string" },
      workers: { type: "string" },
      "settle-timeout-sec": { type: "string" },
    },
    strict: true,
  });
  const int = (name: string, text: string | undefined, fallback: number, min: number): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${name} expects an integer ≥ ${min}, got ${text}`);
    return n;
  };
  const calls = values.calls === undefined ? undefined : int("calls", values.calls, 0, 1);
  if (values.exit && calls === undefined) throw new Error("--exit needs --calls N");
  return {
    calls,
    exit: values.exit ?? false,
    seed: int("seed", values.seed, 1, 0),
    concurrency: int("concurrency", values.concurrency, 4, 1),
    spacingMs: int("spacing-ms", values["spacing-ms"], 1500, 0),
    httpPort: int("http-port", values["http-port"], 8077, 1),
    emulatorPort: int("emulator-port", values["emulator-port"], 18090, 1),
    workers: int("workers", values.workers, 2, 1),
    settleTimeoutSec: int("settle-timeout-sec", values["settle-timeout-sec"], 180, 1),
  };
}
