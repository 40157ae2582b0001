import { existsSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Type-checks customization modules against the published API, the way `npm run hooks -- check` and
 * the loader do: TypeScript `strict`, bundler-style module resolution (as esbuild loads them),
 * `itgrix/hooks` mapped to core/hooks/api.ts, `verbatimModuleSyntax` (so a type must be imported with
 * `import type` — the module then needs nothing from the connector at run time). Diagnostics of the
 * connector's own files are not the integrator's business and are left out.
 *
 * `typescript` is loaded lazily: a production install without it skips the check (and says so).
 */

export interface TypeDiagnostic {
  file: string;
  line: number;
  column: number;
  code: number;
  message: string;
}

export type TypeCheckResult =
  { checked: true; diagnostics: TypeDiagnostic[] } | { checked: false; reason: string };

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository (or installation) root: core/hooks/loader → ../../.. */
const ROOT = resolve(HERE, "..", "..", "..");
const CONNECTOR_CODE = resolve(ROOT, "core") + sep;

/**
 * The published API's TypeScript sources. A compiled release carries them next to its JavaScript
 * (scripts/build.sh copies them); the literal URLs let the release test check that they are there.
 */
const API_SOURCES = [new URL("../api.ts", import.meta.url), new URL("../../calls/types.ts", import.meta.url)];

export function publishedApiPath(): string | undefined {
  return API_SOURCES.every((url) => existsSync(url)) ? fileURLToPath(API_SOURCES[0]!) : undefined;
}

export async function typeCheckFiles(files: readonly string[]): Promise<TypeCheckResult> {
  let ts: typeof import("typescript");
  try {
    ts = (await import("typescript")).default;
  } catch {
    return { checked: false, reason: "typescript is not installed" };
  }
  const api = publishedApiPath();
  if (!api)
    return { checked: false, reason: "the published API sources (core/hooks/api.ts) are not installed" };
  const typeRoots = [resolve(ROOT, "node_modules", "@types")];
  const hasNodeTypes = existsSync(resolve(typeRoots[0]!, "node"));
  const options: import("typescript").CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2022.d.ts"],
    types: hasNodeTypes ? ["node"] : [],
    typeRoots,
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
    skipLibCheck: true,
    paths: { "itgrix/hooks": [api] },
  };
  const program = ts.createProgram(
    files.map((f) => resolve(f)),
    options,
  );
  const diagnostics: TypeDiagnostic[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const file = d.file ? resolve(d.file.fileName) : "(configuration)";
    if (file.startsWith(CONNECTOR_CODE) || file.includes(`${sep}node_modules${sep}`)) continue;
    const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    diagnostics.push({
      file,
      line: (at?.line ?? 0) + 1,
      column: (at?.character ?? 0) + 1,
      code: d.code,
      message: ts.flattenDiagnosticMessageText(d.messageText, " "),
    });
  }
  return { checked: true, diagnostics };
}

export function formatDiagnostic(d: TypeDiagnostic): string {
  return `${d.file}:${d.line}:${d.column}: TS${d.code}: ${d.message}`;
}
