import type { Config } from "../../config/schema.ts";
import type { Logger } from "../../logging/logger.ts";
import { FolderLoader } from "../loader/folderLoader.ts";
import { listEntryFiles } from "../loader/folderFiles.ts";
import { formatDiagnostic, typeCheckFiles } from "../loader/typeCheck.ts";
import { SHIPPED } from "../shipped/index.ts";

/**
 * `npm run hooks -- check`: everything the loader would refuse, said at once — type errors against the
 * published API (every one of them), build errors, a wrong export shape, options the module refuses,
 * a failing setup. `ok` only when every module would load.
 */

export interface CheckReport {
  ok: boolean;
  lines: string[];
}

export async function checkFolder(folder: string, config: Config, logger: Logger): Promise<CheckReport> {
  const lines: string[] = [];
  let entries;
  try {
    entries = (await listEntryFiles(folder)).entries;
  } catch (err) {
    return { ok: false, lines: [`cannot read ${folder}: ${(err as Error).message}`] };
  }
  if (entries.length === 0) return { ok: true, lines: [`no customization modules in ${folder}`] };
  const ts = entries.filter((e) => e.typescript).map((e) => e.file);
  let typeErrors = 0;
  if (ts.length > 0) {
    const result = await typeCheckFiles(ts);
    if (!result.checked) return { ok: false, lines: [`cannot type-check: ${result.reason}`] };
    typeErrors = result.diagnostics.length;
    lines.push(...result.diagnostics.map(formatDiagnostic));
  }
  const loader = new FolderLoader({
    folder,
    options: config.hooks.options,
    config,
    logger,
    reservedNames: new Set(Object.keys(SHIPPED)),
  });
  const report = await loader.load();
  for (const f of report.failed) lines.push(`${f.name} (${f.file}): ${f.error}`);
  for (const c of loader.customizations) {
    lines.push(
      `ok ${c.name}: ${Object.keys(c.hooks).join(", ")}${c.description ? ` — ${c.description}` : ""}`,
    );
  }
  const ok = typeErrors === 0 && report.failed.length === 0;
  lines.push(
    ok
      ? `${entries.length} module(s) OK`
      : `${typeErrors} type error(s), ${report.failed.length} module(s) refused`,
  );
  return { ok, lines };
}
