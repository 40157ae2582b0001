/**
 * Readers for the container tests: the Dockerfile as stages of instructions, docker-compose.yml as
 * data (through Debian's docker-compose, whose python3-yaml also turns YAML into JSON), the
 * .dockerignore rules and the build's source set.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

export interface Instruction {
  op: string;
  args: string;
}

export interface Stage {
  from: string;
  name: string | undefined;
  steps: Instruction[];
}

/** Splits a Dockerfile into stages (continuation lines joined, comments dropped). */
export function readDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, " ").split("\n");
  const stages: Stage[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [, op = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = op.toUpperCase();
    if (upper === "FROM") {
      const [from = "", , name] = args.split(/\s+/);
      stages.push({ from, name, steps: [] });
    } else {
      const stage = stages[stages.length - 1];
      if (!stage) throw new Error(`Dockerfile: ${upper} before FROM`);
      stage.steps.push({ op: upper, args });
    }
  }
  return stages;
}

export interface Copy {
  from: string | undefined;
  sources: string[];
  dest: string;
}

export function copiesOf(stage: Stage): Copy[] {
  return stage.steps
    .filter((s) => s.op === "COPY")
    .map((s) => {
      const words = s.args.split(/\s+/);
      const from = words.find((w) => w.startsWith("--from="))?.slice("--from=".length);
      const paths = words.filter((w) => !w.startsWith("--"));
      return { from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] ?? "" };
    });
}

/** The argv of an exec-form CMD (`CMD ["node", …]`). */
export function execForm(args: string): string[] {
  return JSON.parse(args) as string[];
}

/** Top-level .dockerignore patterns (enough for this repository: plain names and `*.ext`). */
export function dockerIgnored(path: string): boolean {
  const patterns = readFileSync(join(REPO, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const top = path.split("/")[0] ?? path;
  return patterns.some((p) =>
    p.startsWith("*.") ? path.endsWith(p.slice(1)) : p === top || p === path || path.startsWith(`${p}/`),
  );
}

/** YAML → data with python3-yaml (a dependency of Debian's docker-compose); merge keys resolved. */
export function yamlToData(yaml: string): unknown {
  const result = spawnSync(
    "python3",
    ["-c", "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"],
    { input: yaml, encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`python3 yaml: ${result.stderr}`);
  return JSON.parse(result.stdout) as unknown;
}

export function compose(args: string[], env: Record<string, string> = {}) {
  return spawnSync("docker-compose", args, {
    cwd: REPO,
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
}

/** Every source file of the production build, repository-relative (`tsc --listFilesOnly`). */
export function buildSourceFiles(): string[] {
  const result = spawnSync(
    process.execPath,
    [join(REPO, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--listFilesOnly"],
    { cwd: REPO, encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`tsc --listFilesOnly: ${result.stdout}${result.stderr}`);
  return result.stdout
    .split("\n")
    .filter((f) => f && !f.includes("/node_modules/"))
    .map((f) => relative(REPO, f));
}

/**
 * The files `tsconfig.build.json` compiles by its `include` entries alone (cheap; imports from
 * elsewhere are what `buildSourceFiles` adds).
 */
export function includedSourceFiles(): string[] {
  const { include } = JSON.parse(readFileSync(join(REPO, "tsconfig.build.json"), "utf8")) as {
    include: string[];
  };
  return include.flatMap((dir) =>
    // An entry is a folder, or one file (the hooks tool in scripts/).
    statSync(join(REPO, dir)).isFile()
      ? [dir]
      : readdirSync(join(REPO, dir), { recursive: true, encoding: "utf8" })
          .filter((f) => f.endsWith(".ts"))
          .map((f) => `${dir}/${f}`),
  );
}

/** `dist/app/main.js` → `app/main.ts` when that source exists and the build compiles it. */
export function sourceOfBuilt(distPath: string, sources: string[]): string | undefined {
  const match = /^dist\/(.+)\.js$/.exec(distPath);
  if (!match) return undefined;
  const source = `${match[1]}.ts`;
  return existsSync(join(REPO, source)) && sources.includes(source) ? source : undefined;
}
