/**
 * The Dockerfile, checked without a Docker engine: a build stage with every dependency that compiles
 * the code, a runtime stage with production dependencies only, a non-root user, sources that exist
 * and are not ignored, artefacts that the build stage really produces, and a command that runs a
 * file the build compiles.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import {
  buildSourceFiles,
  copiesOf,
  dockerIgnored,
  execForm,
  readDockerfile,
  REPO,
  sourceOfBuilt,
  type Stage,
} from "./containerFiles.ts";

describe("Dockerfile", () => {
  let stages: Stage[];
  let build: Stage;
  let runtime: Stage;
  let sources: string[];
  before(() => {
    stages = readDockerfile(readFileSync(join(REPO, "Dockerfile"), "utf8"));
    build = stages.find((s) => s.name === "build")!;
    runtime = stages[stages.length - 1]!;
    sources = buildSourceFiles();
  });

  test("two stages: `build`, then a slim runtime on the Node major the package asks for (≥ 20)", () => {
    assert.equal(stages.length, 2);
    assert.ok(build, "a stage named build");
    assert.notEqual(runtime, build);
    const engines = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
      engines: { node: string };
    };
    const wanted = Number(/(\d+)/.exec(engines.engines.node)?.[1]);
    for (const stage of stages) {
      const major = Number(/^node:(\d+)/.exec(stage.from)?.[1]);
      assert.ok(major >= wanted, `${stage.from} satisfies engines.node ${engines.engines.node}`);
    }
    assert.match(runtime.from, /slim/);
  });

  test("the build stage installs everything, compiles, then prunes the dev dependencies", () => {
    const runs = build.steps.filter((s) => s.op === "RUN").map((s) => s.args);
    const ci = runs.findIndex((r) => /\bnpm ci\b/.test(r));
    const compile = runs.findIndex((r) => /\bnpm run build\b/.test(r));
    assert.ok(ci >= 0 && compile > ci, "npm ci, then npm run build");
    assert.ok(
      runs.some((r, i) => i >= compile && /npm prune --omit=dev/.test(r)),
      "pruned after the build",
    );
  });

  test("the runtime stage installs nothing and copies no source: only the build's artefacts and the example config", () => {
    assert.ok(
      !runtime.steps.some((s) => s.op === "RUN" && /\bnpm\b/.test(s.args)),
      "no npm in the runtime stage",
    );
    for (const copy of copiesOf(runtime)) {
      if (copy.from === undefined) {
        assert.deepEqual(
          copy.sources,
          ["config/itgrix.example.json"],
          `runtime COPY ${copy.sources.join(" ")}`,
        );
      } else {
        assert.equal(copy.from, "build");
      }
    }
  });

  test("every COPY from the build context exists and is not excluded by .dockerignore", () => {
    for (const stage of stages) {
      for (const copy of copiesOf(stage).filter((c) => c.from === undefined)) {
        for (const source of copy.sources) {
          assert.ok(existsSync(join(REPO, source)), `${source} exists`);
          assert.ok(!dockerIgnored(source), `${source} is not in .dockerignore`);
        }
      }
    }
  });

  test("what the runtime copies from the build stage is produced there", () => {
    const workdir = build.steps.find((s) => s.op === "WORKDIR")?.args ?? "/";
    const runs = build.steps.filter((s) => s.op === "RUN").map((s) => s.args);
    const produced = new Set<string>();
    for (const copy of copiesOf(build)) {
      if (copy.dest === "./" || copy.dest === ".")
        copy.sources.forEach((s) => produced.add(`${workdir}/${s}`));
      else produced.add(`${workdir}/${copy.dest.replace(/^\.\//, "").replace(/\/$/, "")}`);
    }
    if (runs.some((r) => /\bnpm ci\b/.test(r))) produced.add(`${workdir}/node_modules`);
    if (runs.some((r) => /\bnpm run build\b/.test(r))) produced.add(`${workdir}/dist`); // scripts/build.sh's default
    for (const copy of copiesOf(runtime).filter((c) => c.from === "build")) {
      for (const source of copy.sources)
        assert.ok(produced.has(source), `${source} is made by the build stage`);
    }
  });

  test("the build stage holds every file the compiled program is made of (tsc --listFilesOnly)", () => {
    const copied = copiesOf(build)
      .filter((c) => c.from === undefined)
      .flatMap((c) => c.sources);
    assert.ok(sources.includes("app/main.ts") && sources.includes("workers/main.ts"));
    for (const file of [...sources, "tsconfig.json", "tsconfig.build.json", "scripts/build.sh"]) {
      const inside = copied.some((c) => file === c || file.startsWith(`${c.replace(/\/$/, "")}/`));
      assert.ok(inside, `${file} is needed by the build but not copied into the build stage`);
    }
  });

  test("the image runs the compiled app with source maps as a non-root user", () => {
    const user = runtime.steps.filter((s) => s.op === "USER").pop()?.args;
    assert.ok(user && user !== "root" && user !== "0" && !user.startsWith("0:"), `USER ${user}`);
    const cmd = execForm(runtime.steps.filter((s) => s.op === "CMD").pop()!.args);
    assert.equal(cmd[0], "node");
    assert.ok(cmd.includes("--enable-source-maps"));
    const script = cmd[cmd.length - 1]!;
    assert.equal(sourceOfBuilt(script, sources), "app/main.ts", `${script} is compiled from app/main.ts`);
  });
});
