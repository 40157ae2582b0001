import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";

/**
 * Loading a customization module: esbuild bundles the entry file with everything it imports from its
 * folder (TypeScript or JavaScript; npm packages from the folder's own node_modules), leaving Node's
 * built-ins outside, into one ES module. That module is written to a private temporary directory,
 * imported, and the file removed. Each distinct bundle gets its own file name, so a changed module is
 * a fresh module instance (Node's module cache is keyed by URL), and an unchanged one is not re-run.
 *
 * Why esbuild: it is already a production dependency (through tsx), transpiles in milliseconds, and
 * bundling resolves the module's own relative imports the way the author wrote them. It does not
 * type-check: that is typeCheck.ts, run apart.
 */

export interface CompiledModule {
  code: string;
  /** sha256 of the bundle: an unchanged hash means an unchanged module. */
  hash: string;
  /** Absolute paths of the source files in the bundle (to attribute type errors and changes). */
  inputs: string[];
}

/** `import type … from "itgrix/hooks"` is erased; a value import of it gets an empty module. */
const PUBLISHED_TYPES: Plugin = {
  name: "itgrix-hooks-types",
  setup(b) {
    b.onResolve({ filter: /^itgrix\/hooks$/ }, () => ({ path: "itgrix/hooks", namespace: "itgrix-types" }));
    b.onLoad({ filter: /.*/, namespace: "itgrix-types" }, () => ({ contents: "export {};", loader: "js" }));
  },
};

/** Bundled CommonJS packages call require(); an ES module has none of its own. */
const REQUIRE_SHIM =
  'import { createRequire as __itgrixCreateRequire } from "node:module"; const require = __itgrixCreateRequire(import.meta.url);';

export async function compileModule(file: string): Promise<CompiledModule> {
  const result = await build({
    entryPoints: [file],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: "inline",
    metafile: true,
    logLevel: "silent",
    // The folder's tsconfig (if any) must not change how the module is read at run time.
    tsconfigRaw: {},
    banner: { js: REQUIRE_SHIM },
    plugins: [PUBLISHED_TYPES],
  });
  const code = result.outputFiles[0]!.text;
  const inputs = Object.keys(result.metafile.inputs)
    .filter((p) => !p.startsWith("itgrix-types:"))
    .map((p) => resolve(p));
  return { code, hash: createHash("sha256").update(code).digest("hex"), inputs };
}

let scratch: Promise<string> | undefined;

/** Imports a compiled bundle as a fresh module instance. */
export async function importCompiled(
  name: string,
  compiled: CompiledModule,
): Promise<Record<string, unknown>> {
  scratch ??= mkdtemp(join(tmpdir(), "itgrix-hooks-")).then((dir) => {
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  });
  const file = join(await scratch, `${name}-${compiled.hash.slice(0, 16)}.mjs`);
  await writeFile(file, compiled.code, { mode: 0o600 });
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } finally {
    await rm(file, { force: true });
  }
}

/** esbuild's errors as one readable line per problem (file:line:column: text). */
export function describeBuildError(err: unknown): string {
  const errors = (
    err as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] }
  )?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return err instanceof Error ? err.message : String(err);
  return errors
    .map((e) =>
      e.location ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: ${e.text}` : e.text,
    )
    .join("; ");
}
