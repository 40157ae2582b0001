import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TypeCheckResult } from "./typeCheck.ts";

/** The child's entry next to this module, with its extension (.ts from source, .js when compiled). */
const MAIN = fileURLToPath(import.meta.url).replace(/typeCheckProcess(\.[cm]?[jt]s)$/, "typeCheckMain$1");

/**
 * The node options the child needs to load the same code (tsx's loader when running from source); the
 * rest of this process's flags (e.g. the test runner's) are left out.
 */
export function loaderArgs(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (/^--(import|require|loader|experimental-loader)=/.test(arg)) out.push(arg);
    else if (["--import", "--require", "-r", "--loader", "--experimental-loader"].includes(arg)) {
      out.push(arg, execArgv[++i] ?? "");
    } else if (arg === "--enable-source-maps") out.push(arg);
  }
  return out;
}

export function typeCheckInChild(files: readonly string[], timeoutMs = 120_000): Promise<TypeCheckResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...loaderArgs(process.execArgv), MAIN, ...files],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const line = stdout.trim().split("\n").at(-1) ?? "";
        try {
          resolve(JSON.parse(line) as TypeCheckResult);
        } catch {
          const why = err ? err.message : "no result";
          resolve({
            checked: false,
            reason: `type-check process failed: ${why} ${stderr.trim().slice(0, 500)}`,
          });
        }
      },
    );
  });
}
