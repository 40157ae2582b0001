import { spawnSync } from "node:child_process";

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, capturing its output; never throws for a non-zero exit. */
export function runQuiet(command: string, args: string[], options: { timeoutMs?: number } = {}): RunResult {
  const result = spawnSync(command, args, {
    encoding: "utf8",
    timeout: options.timeoutMs ?? 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) return { status: -1, stdout: "", stderr: String(result.error) };
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a command and throws with its output when it fails. */
export function runChecked(command: string, args: string[], options: { timeoutMs?: number } = {}): string {
  const result = runQuiet(command, args, options);
  if (result.status !== 0) {
    const tail = (result.stderr || result.stdout).trim().split("\n").slice(-15).join("\n");
    throw new Error(`${command} ${args.join(" ")} failed (exit ${result.status}):\n${tail}`);
  }
  return result.stdout;
}

export function commandExists(name: string): boolean {
  return runQuiet("sh", ["-c", `command -v ${name}`]).status === 0;
}

/** Progress goes to stderr so that stdout's last line stays the JSON the tests parse. */
export function say(message: string): void {
  process.stderr.write(`[testbed] ${message}\n`);
}
