import type { Logger } from "../../logging/logger.ts";
import type { Customization, HookConfigView, HookMap } from "../api.ts";
import { hookConfigView } from "../configView.ts";
import type { LoadedCustomization } from "../ports.ts";
import { compileModule, describeBuildError, importCompiled, type CompiledModule } from "./compile.ts";
import { listEntryFiles, type EntryFile } from "./folderFiles.ts";
import { customizationOf } from "./moduleShape.ts";
import { formatDiagnostic, type TypeCheckResult } from "./typeCheck.ts";

/**
 * The integrator's folder of customization modules, loaded and reloaded. A module that fails to
 * build, type-check, load, pass its options or set up keeps its previous version (or stays out if it
 * never loaded), with one log line naming the module and the reason; the others are not affected.
 * An unchanged module (same bundle) is kept as it is, without running it again.
 */

export interface FolderLoaderDeps {
  folder: string;
  /** `hooks.options`: options of the folder's modules by name. */
  options: Readonly<Record<string, Record<string, unknown>>>;
  /** Type-checks the given files (typeCheckInChild); absent: no type-check. */
  typeCheck?: (files: string[]) => Promise<TypeCheckResult>;
  config: HookConfigView;
  logger: Logger;
  /** Names taken by the shipped customizations. */
  reservedNames: ReadonlySet<string>;
}

export interface LoadFailure {
  name: string;
  file: string;
  error: string;
  /** The previous version stays in use. */
  kept: boolean;
}

export interface FolderLoadReport {
  at: string;
  loaded: string[];
  unchanged: string[];
  removed: string[];
  failed: LoadFailure[];
  /** Why TypeScript modules were loaded without a type-check, if they were. */
  typeCheckSkipped?: string;
}

/** The name of a failure of the folder itself (not of one module). */
const FOLDER = "*";

interface Current {
  hash: string;
  customization: LoadedCustomization;
}

export class FolderLoader {
  private current = new Map<string, Current>();
  private lastReport: FolderLoadReport | undefined;

  constructor(private readonly deps: FolderLoaderDeps) {}

  /** The modules in use, by name. */
  get customizations(): LoadedCustomization[] {
    return [...this.current.values()]
      .map((c) => c.customization)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  get report(): FolderLoadReport | undefined {
    return this.lastReport;
  }

  async load(): Promise<FolderLoadReport> {
    const report: FolderLoadReport = {
      at: new Date().toISOString(),
      loaded: [],
      unchanged: [],
      removed: [],
      failed: [],
    };
    let entries: EntryFile[];
    try {
      entries = (await listEntryFiles(this.deps.folder)).entries;
    } catch (err) {
      const error = `cannot read the folder: ${(err as Error).message}`;
      report.failed.push({ name: FOLDER, file: this.deps.folder, error, kept: this.current.size > 0 });
      return this.finish(report);
    }
    const compiled = await this.compileAll(entries, report);
    const changed = entries.filter(
      (e) => compiled.has(e.name) && compiled.get(e.name)!.hash !== this.current.get(e.name)?.hash,
    );
    for (const e of entries) if (compiled.has(e.name) && !changed.includes(e)) report.unchanged.push(e.name);
    const typeErrors = await this.typeErrors(changed, compiled, report);
    for (const entry of changed) {
      const problem = typeErrors.get(entry.name);
      if (problem) this.fail(report, entry, problem);
      else await this.activate(entry, compiled.get(entry.name)!, report);
    }
    const present = new Set(entries.map((e) => e.name));
    for (const name of [...this.current.keys()]) {
      if (present.has(name)) continue;
      this.current.delete(name);
      report.removed.push(name);
    }
    return this.finish(report);
  }

  private async compileAll(
    entries: EntryFile[],
    report: FolderLoadReport,
  ): Promise<Map<string, CompiledModule>> {
    const compiled = new Map<string, CompiledModule>();
    for (const entry of entries) {
      if (this.deps.reservedNames.has(entry.name)) {
        this.fail(
          report,
          entry,
          `the name ${entry.name} is taken by a shipped customization; rename the file`,
        );
        continue;
      }
      try {
        compiled.set(entry.name, await compileModule(entry.file));
      } catch (err) {
        this.fail(report, entry, `does not build: ${describeBuildError(err)}`);
      }
    }
    return compiled;
  }

  /** Type errors per changed TypeScript module (a module owns the errors of every file it bundles). */
  private async typeErrors(
    changed: EntryFile[],
    compiled: Map<string, CompiledModule>,
    report: FolderLoadReport,
  ): Promise<Map<string, string>> {
    const errors = new Map<string, string>();
    const ts = changed.filter((e) => e.typescript);
    if (ts.length === 0 || !this.deps.typeCheck) return errors;
    const result = await this.deps.typeCheck(ts.map((e) => e.file));
    if (!result.checked) {
      report.typeCheckSkipped = result.reason;
      return errors;
    }
    for (const entry of ts) {
      const inputs = new Set(compiled.get(entry.name)!.inputs);
      const own = result.diagnostics.filter((d) => inputs.has(d.file) || d.file === "(configuration)");
      if (own.length > 0)
        errors.set(entry.name, `type errors: ${own.slice(0, 5).map(formatDiagnostic).join("; ")}`);
    }
    return errors;
  }

  private async activate(
    entry: EntryFile,
    compiled: CompiledModule,
    report: FolderLoadReport,
  ): Promise<void> {
    try {
      const module = customizationOf(await importCompiled(entry.name, compiled));
      const options = this.optionsOf(entry.name, module);
      const log = this.deps.logger.child({ customization: entry.name });
      await module.setup?.({ options, config: hookConfigView(this.deps.config), log });
      const customization: LoadedCustomization = {
        name: entry.name,
        origin: "folder",
        file: entry.file,
        description: module.description,
        options,
        hooks: module.hooks as HookMap<unknown>,
      };
      this.current.set(entry.name, { hash: compiled.hash, customization });
      report.loaded.push(entry.name);
    } catch (err) {
      this.fail(report, entry, (err as Error)?.message ?? String(err));
    }
  }

  private optionsOf(name: string, module: Customization<unknown>): unknown {
    const raw = this.deps.options[name] ?? {};
    if (!module.parseOptions) return raw;
    try {
      return module.parseOptions(raw);
    } catch (err) {
      throw new Error(`hooks.options.${name}: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private fail(report: FolderLoadReport, entry: EntryFile, error: string): void {
    report.failed.push({ name: entry.name, file: entry.file, error, kept: this.current.has(entry.name) });
  }

  private finish(report: FolderLoadReport): FolderLoadReport {
    const log = this.deps.logger;
    for (const f of report.failed) {
      const what = f.kept ? "the previous version stays in use" : "it is not in use";
      log.error(
        { customization: f.name, file: f.file, err: f.error },
        `customization module refused: ${what}`,
      );
    }
    if (report.typeCheckSkipped)
      log.warn({ reason: report.typeCheckSkipped }, "customizations loaded without a type-check");
    if (report.loaded.length + report.removed.length > 0) {
      log.info(
        { loaded: report.loaded, removed: report.removed, folder: this.deps.folder },
        "customization modules loaded",
      );
    }
    this.lastReport = report;
    return report;
  }
}
